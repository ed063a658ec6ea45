/* What every module shares on top of the environment and the record
 * layout: input validation, whether a framework, requirement or
 * organisation exists, the organisation and catalogue generations that
 * cached state is checked against, walking, deleting and indexing records,
 * what a bulk write keeps for one call, and the items plumbing: reading,
 * listing and deleting the records a module keeps (an organisation's
 * controls, evidence and scope decisions; frameworks and organisations by
 * name) the same way, each module giving only its record's decoder and
 * what else it indexes. */
#include "internal.h"

#include "crosswalk/isms_model.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- validation ---- */

int check_text(const char *field, const char *s, cw_err *err)
{
    if (s && strlen(s) > CW_MAX_TEXT)
        return cw_err_set(err, CW_EINVAL, "%s: longer than %d bytes", field, CW_MAX_TEXT);
    return 0;
}

static int text_rule(const char *field, const char *s, size_t max, cw_err *err)
{
    (void)max; /* CW_MAX_TEXT */
    return check_text(field, s, err);
}

/* The field of a bulk item is named ("items[3].org") only once its check
 * has failed: bulk loads check millions of fields and nearly all pass. */
static int check_at(int (*rule)(const char *, const char *, size_t, cw_err *), const char *s,
                    size_t max, cw_err *err, const char *fmt, va_list ap)
{
    if (rule("", s, max, NULL) == 0)
        return 0;
    char f[112];
    vsnprintf(f, sizeof f, fmt, ap);
    return rule(f, s, max, err);
}

int check_name_at(const char *s, size_t max, cw_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = check_at(cw_check_name, s, max, err, fmt, ap);
    va_end(ap);
    return rc;
}

int check_text_at(const char *s, cw_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = check_at(text_rule, s, CW_MAX_TEXT, err, fmt, ap);
    va_end(ap);
    return rc;
}

bool repeats_earlier(const char *const *ids, size_t j, size_t *k)
{
    for (*k = 0; *k < j; (*k)++)
        if (strcmp(ids[*k], ids[j]) == 0)
            return true;
    return false;
}

/* ---- lookups ---- */

int fw_exists(MDB_txn *txn, cw_db *db, const char *fw)
{
    MDB_val k = {strlen(fw), (void *)fw}, v;
    return mdb_get(txn, db->dbi[DB_FW], &k, &v) == 0 ? 0 : CW_ENOFW;
}

int req_exists(MDB_txn *txn, cw_db *db, const char *fw, const char *id, bool *assessed)
{
    cw_key key;
    key_init(&key);
    key_part(&key, fw);
    key_part(&key, id);
    MDB_val k = key_val(&key), v;
    if (mdb_get(txn, db->dbi[DB_REQ], &k, &v) != 0)
        return fw_exists(txn, db, fw) ? CW_ENOFW : CW_ENOREQ;
    if (assessed) {
        MDB_val ck = key_val(&key), cv;
        bool leaf = mdb_get(txn, db->dbi[DB_CHILD], &ck, &cv) != 0;
        bool as = leaf, wd = false;
        req_flags(v, leaf, &as, &wd);
        *assessed = as && !wd;
    }
    return 0;
}

int org_exists(MDB_txn *txn, cw_db *db, const char *org)
{
    MDB_val k = {strlen(org), (void *)org}, v;
    return mdb_get(txn, db->dbi[DB_ORG], &k, &v) == 0 ? 0 : CW_ENOORG;
}

int org_find(MDB_txn *txn, cw_db *db, const char *org, cw_err *err)
{
    if (org_exists(txn, db, org))
        return cw_err_set(err, CW_ENOORG, "org: no organisation '%s'", org);
    return 0;
}

int org_find_at(MDB_txn *txn, cw_db *db, const char *org, cw_time rec, cw_err *err)
{
    if (rec == REC_NOW)
        return org_find(txn, db, org, err);
    MDB_val k = {strlen(org), (void *)org}, v;
    if (record_get_at(txn, db, DB_ORG, k, rec, &v) == 0)
        return 0;
    char b[32];
    cw_time_format(rec, b, sizeof b);
    return cw_err_set(err, CW_ENOORG,
                      "org: no organisation '%s' as recorded at %s (as_recorded: false judges "
                      "today's records at that time)",
                      org, b);
}

int org_scale_of(MDB_val v)
{
    rec_reader r;
    int64_t s = 0;
    if (rr_open(&r, v, NULL) == 0) {
        s = obj_int(rr_at(&r, 1), 0);
        rr_close(&r);
    }
    return s >= CW_RISK_SCALE_MIN && s <= CW_RISK_SCALE_MAX ? (int)s : CW_RISK_SCALE_DEFAULT;
}

int org_risk_scale(MDB_txn *txn, cw_db *db, const char *org)
{
    MDB_val k = {strlen(org), (void *)org}, v;
    return mdb_get(txn, db->dbi[DB_ORG], &k, &v) == 0 ? org_scale_of(v) : CW_RISK_SCALE_DEFAULT;
}

/* ---- generations ---- */

/* The 8-byte counter under meta key k; 0 when there is none. */
static uint64_t meta_counter(MDB_txn *txn, cw_db *db, MDB_val k)
{
    MDB_val v;
    if (mdb_get(txn, db->dbi[DB_META], &k, &v) == 0 && v.mv_size == 8)
        return be64_get(v.mv_data);
    return 0;
}

uint64_t cat_gen(MDB_txn *txn, cw_db *db)
{
    return meta_counter(txn, db, (MDB_val){3, "gen"});
}

static void org_gen_key(cw_key *k, const char *org)
{
    key_init(k);
    key_part(k, "org");
    key_part(k, org);
}

int org_touch(MDB_txn *txn, cw_db *db, const char *org, cw_err *err)
{
    /* The writing transaction's id is unique and grows with every commit,
     * so it serves as the generation without reading the old value. */
    cw_key k;
    org_gen_key(&k, org);
    unsigned char b[8];
    be64_put(b, (uint64_t)mdb_txn_id(txn));
    MDB_val kv = key_val(&k), v = {8, b};
    if (db->acc)
        change_org(db, org);
    return lmdb_err(mdb_put(txn, db->dbi[DB_META], &kv, &v, 0), err, "org");
}

uint64_t org_gen(MDB_txn *txn, cw_db *db, const char *org)
{
    cw_key k;
    org_gen_key(&k, org);
    return meta_counter(txn, db, key_val(&k));
}

/* Bulk items usually share one organisation: stamp each run of them once. */
int org_touch_once(cw_wtxn *w, const char *org, const char **last, cw_err *err)
{
    if (*last && strcmp(*last, org) == 0)
        return 0;
    *last = org;
    return org_touch(w->txn, w->db, org, err);
}

int bump_generation(cw_wtxn *w, cw_err *err)
{
    unsigned char b[8];
    be64_put(b, cat_gen(w->txn, w->db) + 1);
    MDB_val k = {3, "gen"}, v = {8, b};
    if (w->db->acc)
        change_catalogue(w->db);
    return lmdb_err(mdb_put(w->txn, w->db->dbi[DB_META], &k, &v, 0), err, "generation");
}

/* ---- walking and writing records ---- */

int delete_prefix(cw_wtxn *w, int dbi, const cw_key *prefix, size_t *count, cw_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(w->txn, w->db->dbi[dbi], &c);
    if (rc)
        return lmdb_err(rc, err, "delete");
    for (;;) {
        MDB_val k = key_val(prefix), v;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc || k.mv_size < prefix->n || memcmp(k.mv_data, prefix->b, prefix->n) != 0)
            break;
        CHANGE_NOTE(w, dbi, k, NULL);
        if ((rc = mdb_cursor_del(c, MDB_NODUPDATA)))
            break;
        if (count)
            (*count)++;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : lmdb_err(rc, err, "delete");
}

int each_record(MDB_txn *txn, cw_db *db, int dbi, const cw_key *prefix, each_fn fn, void *ctx,
                cw_err *err, const char *what)
{
    return each_record_after(txn, db, dbi, prefix, NULL, fn, ctx, err, what);
}

int each_in_org(MDB_txn *txn, cw_db *db, int dbi, const char *org, each_fn fn, void *ctx)
{
    cw_key pre;
    key_prefix(&pre, org);
    return each_record(txn, db, dbi, &pre, fn, ctx, NULL, "list");
}

int index_put(cw_wtxn *w, int dbi, MDB_val k, MDB_val v, bool del, const char *what, cw_err *err)
{
    int rc = del ? mdb_del(w->txn, w->db->dbi[dbi], &k, &v)
                 : mdb_put(w->txn, w->db->dbi[dbi], &k, &v, MDB_NODUPDATA);
    return rc == MDB_KEYEXIST || rc == MDB_NOTFOUND ? 0 : lmdb_err(rc, err, what);
}

int keys_where(MDB_txn *txn, cw_db *db, int dbi, record_match_fn match, void *ctx, cw_arena *a,
               const char *what, MDB_val **keys, size_t *n, cw_err *err)
{
    *keys = NULL;
    *n = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->dbi[dbi], &c);
    if (rc)
        return lmdb_err(rc, err, what);
    size_t cap = 0;
    MDB_val k, v;
    for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (!match(ctx, k, v))
            continue;
        MDB_val *arr = cw_arena_grow(a, *keys, sizeof *arr, &cap, *n + 1);
        char *kc = cw_arena_strndup(a, k.mv_data, k.mv_size);
        if (!arr || !kc) {
            rc = cw_err_set(err, CW_ENOMEM, "%s: out of memory", what);
            break;
        }
        *keys = arr;
        arr[(*n)++] = (MDB_val){k.mv_size, kc};
    }
    mdb_cursor_close(c);
    return rc;
}

/* ---- bulk calls ---- */

int once_per_call(strmap *seen, cw_arena *a, const char *key, size_t kn, size_t i, const char *list,
                  const char *id, cw_err *err)
{
    char *dk = cw_arena_strndup(a, key, kn);
    if (!dk)
        return cw_err_set(err, CW_ENOMEM, "%s: out of memory", list);
    size_t prev;
    if (strmap_put(seen, dk, kn, i, &prev) == 1)
        return cw_err_set(err, CW_ECONFLICT, "%s[%zu].id: '%s' appears twice (also %s[%zu])", list,
                          i, id, list, prev);
    return 0;
}

int bulk_call_begin(bulk_call *b, size_t n, const char *field, cw_err *err)
{
    *b = (bulk_call){.field = field, .a = cw_arena_new()};
    if (!b->a || strmap_init(&b->seen, b->a, n)) {
        cw_arena_free(b->a);
        b->a = NULL;
        return cw_err_set(err, CW_ENOMEM, "%s: out of memory", field);
    }
    return 0;
}

void bulk_call_end(bulk_call *b)
{
    cw_arena_free(b->a);
}

int bulk_call_admit(cw_wtxn *w, bulk_call *b, const cw_key *k, const char *org, size_t i,
                    const char *id, cw_err *err)
{
    int rc = org_touch_once(w, org, &b->touched, err);
    return rc ? rc : once_per_call(&b->seen, b->a, k->b, k->n, i, b->field, id, err);
}

/* ---- items ---- */

/* items_add's way of ending a walk when the page is full (not an error). */
#define ITEMS_PAGE_FULL 1

int items_add(void *list, const char *rest, size_t rl, MDB_val v)
{
    item_list *l = list;
    if (l->under) {
        size_t ul = strlen(l->under);
        if (rl <= ul || memcmp(rest, l->under, ul) != 0 || rest[ul] != '\0')
            return 0;
    }
    if (l->limit && l->n == l->limit)
        return ITEMS_PAGE_FULL;
    char *arr = cw_arena_grow(l->a, l->items, l->kind->size, &l->cap, l->n + 1);
    if (!arr)
        return CW_ENOMEM;
    l->items = arr;
    if (l->kind->decode(l->a, l->org, rest, rl, v, arr + l->n * l->kind->size) == 0)
        l->n++;
    return 0;
}

int items_of(MDB_txn *txn, cw_db *db, const char *org, item_list *l)
{
    cw_key pre, start;
    key_prefix(&pre, org);
    if (l->after)
        org_item_key(&start, org, l->after);
    int rc = each_record_at(txn, db, l->kind->dbi, &pre, l->after ? &start : NULL,
                            l->past ? l->rec : REC_NOW, items_add, l, NULL, "list");
    return rc == ITEMS_PAGE_FULL ? 0 : rc;
}

int org_items(MDB_txn *txn, cw_db *db, const item_kind *kind, const char *org, cw_arena *a,
              void **out, size_t *n)
{
    item_list l = {kind, a, cw_arena_strdup(a, org), NULL, NULL, 0, 0, NULL, 0, false, 0};
    int rc = l.org ? items_of(txn, db, org, &l) : CW_ENOMEM;
    *out = l.items;
    *n = l.n;
    return rc;
}

int org_read(cw_db *db, const char *org, org_read_fn fn, void *ctx, cw_err *err)
{
    int rc = cw_check_name("org", org, CW_MAX_SLUG, err);
    MDB_txn *txn;
    if (rc || (rc = read_begin(db, &txn, err)))
        return rc;
    if (!(rc = org_find(txn, db, org, err)))
        rc = fn(txn, db, org, ctx, err);
    read_end(db, txn);
    return rc;
}

struct org_list {
    const item_kind *kind;
    const char *what;
    cw_arena *a;
    void *items;
    size_t n;
};

static int org_list_fn(MDB_txn *txn, cw_db *db, const char *org, void *ctx, cw_err *err)
{
    struct org_list *l = ctx;
    int rc = org_items(txn, db, l->kind, org, l->a, &l->items, &l->n);
    return rc ? cw_err_set(err, rc, "%s: cannot list", l->what) : 0;
}

int org_items_list(cw_db *db, const item_kind *kind, const char *org, const char *what, cw_arena *a,
                   void **out, size_t *n, cw_err *err)
{
    struct org_list l = {kind, what, a, NULL, 0};
    int rc = org_read(db, org, org_list_fn, &l, err);
    *out = l.items;
    *n = l.n;
    return rc;
}

int items_list(cw_db *db, const char *org, item_list *l, const char *what, cw_err *err)
{
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    if (!(rc = org_find(txn, db, org, err)) && (rc = items_of(txn, db, org, l)))
        cw_err_set(err, rc, "%s: cannot list", what);
    read_end(db, txn);
    return rc;
}

int item_find(MDB_txn *txn, cw_db *db, const item_kind *kind, const char *org, const char *id,
              MDB_val *v, cw_err *err)
{
    int rc = org_find(txn, db, org, err);
    if (rc)
        return rc;
    cw_key k;
    org_item_key(&k, org, id);
    MDB_val kv = key_val(&k);
    if (mdb_get(txn, db->dbi[kind->dbi], &kv, v))
        return cw_err_set(err, kind->missing, "id: no %s '%s' in organisation '%s'", kind->noun, id,
                          org);
    return 0;
}

int items_all(cw_db *db, item_list *l, item_then_fn then, cw_err *err)
{
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    if ((rc = each_record(txn, db, l->kind->dbi, NULL, items_add, l, err, l->kind->field)) ==
        CW_ENOMEM)
        cw_err_set(err, rc, "%s: out of memory", l->kind->field);
    for (size_t i = 0; then && i < l->n; i++)
        then(txn, db, (char *)l->items + i * l->kind->size);
    read_end(db, txn);
    return rc;
}

int named_get(cw_db *db, const item_kind *kind, const char *name, item_then_fn then, cw_arena *a,
              void *out, cw_err *err)
{
    int rc = cw_check_name(kind->field, name, CW_MAX_SLUG, err);
    if (rc)
        return rc;
    MDB_txn *txn;
    if ((rc = read_begin(db, &txn, err)))
        return rc;
    MDB_val k = {strlen(name), (void *)name}, v;
    if (mdb_get(txn, db->dbi[kind->dbi], &k, &v)) {
        rc = cw_err_set(err, kind->missing, "%s: no %s '%s'", kind->field, kind->noun, name);
    } else {
        memset(out, 0, kind->size);
        if ((rc = kind->decode(a, NULL, name, strlen(name), v, out)))
            cw_err_set(err, rc, "%s: record of '%s' is unreadable", kind->field, name);
        else if (then)
            then(txn, db, out);
    }
    read_end(db, txn);
    return rc;
}

int check_org_id(const char *org, const char *id, cw_err *err)
{
    int rc = cw_check_name("org", org, CW_MAX_SLUG, err);
    return rc ? rc : cw_check_name("id", id, CW_MAX_ID, err);
}

int item_read(cw_db *db, const item_kind *kind, const char *org, const char *id, item_read_fn fn,
              void *ctx, cw_err *err)
{
    int rc = check_org_id(org, id, err);
    if (rc)
        return rc;
    MDB_txn *txn;
    if ((rc = read_begin(db, &txn, err)))
        return rc;
    MDB_val v;
    if (!(rc = item_find(txn, db, kind, org, id, &v, err)))
        rc = fn(txn, db, org, id, v, ctx, err);
    read_end(db, txn);
    return rc;
}

int item_decode(const item_kind *kind, cw_arena *a, const char *org, const char *id, MDB_val v,
                void *out, cw_err *err)
{
    if (kind->decode(a, cw_arena_strdup(a, org), id, strlen(id), v, out))
        return cw_err_set(err, CW_ECORRUPT, "id: record of %s '%s' is unreadable", kind->noun, id);
    return 0;
}

struct item_out {
    const item_kind *kind;
    cw_arena *a;
    void *out;
};

static int decode_out(MDB_txn *txn, cw_db *db, const char *org, const char *id, MDB_val v,
                      void *ctx, cw_err *err)
{
    (void)txn;
    (void)db;
    const struct item_out *o = ctx;
    return item_decode(o->kind, o->a, org, id, v, o->out, err);
}

int item_get(cw_db *db, const item_kind *kind, const char *org, const char *id, cw_arena *a,
             void *out, cw_err *err)
{
    struct item_out o = {kind, a, out};
    return item_read(db, kind, org, id, decode_out, &o, err);
}

int item_unindex(cw_wtxn *w, const item_kind *kind, const char *org, const char *id, MDB_val v,
                 cw_err *err)
{
    /* The old record is decoded into an arena of its own, freed here. */
    cw_arena *a = cw_arena_new();
    void *old = a ? cw_arena_alloc(a, kind->size) : NULL;
    if (!old) {
        cw_arena_free(a);
        return cw_err_set(err, CW_ENOMEM, "%s: out of memory", kind->field);
    }
    int rc = 0;
    if (kind->decode(a, org, id, strlen(id), v, old) == 0)
        rc = kind->unindex(w, old, err);
    cw_arena_free(a);
    return rc;
}

struct item_del {
    const item_kind *kind;
    item_in_use_fn in_use;
    const char *org, *id;
};

/* A failed lookup fails the write, so the organisation is stamped after
 * it: a stamp is only kept with the deletion it announces. */
static int item_delete_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    const struct item_del *d = arg;
    MDB_val v;
    int rc = item_find(w->txn, w->db, d->kind, d->org, d->id, &v, err);
    if (rc || (d->in_use && (rc = d->in_use(w, d->org, d->id, err))) ||
        (rc = org_touch(w->txn, w->db, d->org, err)) ||
        (d->kind->unindex && (rc = item_unindex(w, d->kind, d->org, d->id, v, err))))
        return rc;
    cw_key k;
    org_item_key(&k, d->org, d->id);
    MDB_val kv = key_val(&k);
    CHANGE_NOTE(w, d->kind->dbi, kv, NULL);
    return lmdb_err(mdb_del(w->txn, w->db->dbi[d->kind->dbi], &kv, NULL), err, d->kind->field);
}

int item_delete_unused(cw_db *db, cw_wtxn *w, const item_kind *kind, item_in_use_fn in_use,
                       const char *org, const char *id, cw_err *err)
{
    int rc = check_org_id(org, id, err);
    if (rc)
        return rc;
    struct item_del d = {kind, in_use, org, id};
    return write_run(db, w, item_delete_fn, &d, err);
}

int item_delete(cw_db *db, cw_wtxn *w, const item_kind *kind, const char *org, const char *id,
                cw_err *err)
{
    return item_delete_unused(db, w, kind, NULL, org, id, err);
}

int item_open(rec_reader *r, MDB_val v, cw_arena *a, const char *org, const char *id, size_t idl,
              org_item_head *h)
{
    if (rr_open(r, v, NULL))
        return CW_ECORRUPT;
    h->org = org;
    h->id = cw_arena_strndup(a, id, idl);
    return 0;
}

struct items_put_args {
    const item_put_ops *ops;
    const void *items;
    size_t n;
    cw_bulk_stats st;
};

static int items_put_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    struct items_put_args *p = arg;
    const item_kind *kind = p->ops->kind;
    bulk_call bc;
    int rc = bulk_call_begin(&bc, p->n, kind->field, err);
    if (rc)
        return rc;
    p->st = (cw_bulk_stats){0};
    for (size_t i = 0; i < p->n && rc == 0; i++) {
        const void *item = (const char *)p->items + i * kind->size;
        const org_item_head *h = item;
        if ((rc = check_name_at(h->org, CW_MAX_SLUG, err, "%s[%zu].org", kind->field, i)) ||
            (rc = check_name_at(h->id, CW_MAX_ID, err, "%s[%zu].id", kind->field, i)))
            break;
        if (org_exists(w->txn, w->db, h->org)) {
            rc = cw_err_set(err, CW_ENOORG, "%s[%zu].org: no organisation '%s'", kind->field, i,
                            h->org);
            break;
        }
        cw_key k;
        org_item_key(&k, h->org, h->id);
        if ((rc = p->ops->check(w, item, i, err)) ||
            (rc = bulk_call_admit(w, &bc, &k, h->org, i, h->id, err)))
            break;
        MDB_val kv = key_val(&k), v;
        if (mdb_get(w->txn, w->db->dbi[kind->dbi], &kv, &v) == 0) {
            p->st.updated++;
            if (kind->unindex && (rc = item_unindex(w, kind, h->org, h->id, v, err)))
                break;
        } else {
            p->st.created++;
        }
        rec_writer rw;
        rw_init(&rw);
        p->ops->encode(&rw, item);
        v = rw_val(&rw);
        CHANGE_NOTE(w, kind->dbi, kv, &v);
        rc = lmdb_err(mdb_put(w->txn, w->db->dbi[kind->dbi], &kv, &v, 0), err, kind->field);
        rw_free(&rw);
    }
    bulk_call_end(&bc);
    return rc;
}

int items_put(cw_db *db, cw_wtxn *w, const item_put_ops *ops, const void *items, size_t n,
              cw_bulk_stats *st, cw_err *err)
{
    if (st)
        memset(st, 0, sizeof *st);
    if (n && !items)
        return cw_err_set(err, CW_EINVAL, "%s: missing", ops->kind->field);
    struct items_put_args p = {ops, items, n, {0}};
    return write_bulk(db, w, items_put_fn, &p, &p.st, n, st, err);
}
