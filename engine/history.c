/* The recorded state at a past time.  Records are kept as they are now,
 * so that a query about the present reads what it always read; what they
 * were before is kept beside them as an undo history: each time a logged
 * write changes or deletes a versioned record (a framework, requirement,
 * crosswalk row, organisation, control or scope decision), the value it
 * held before is stored under (kind, key, second of the write), only the
 * first such value per second being kept.  The record as of time T is
 * then the value saved by its first change after T, or, when nothing
 * changed it after T, the record as it is now.  A second, time-ordered
 * index names the seconds at which the catalogues, or one organisation's
 * records, changed: that answers "is the state at T today's?" with one
 * seek, and gives the interval over which a past state held, which the
 * graph and organisation caches use as its identity.  Evidence carries its
 * own dates: an item counts from its collection, however late it was
 * recorded, so only its replacement or deletion is kept here; audit
 * findings are not versioned. */
#include "internal.h"

#include "crosswalk/history.h"

#include <stdlib.h>
#include <string.h>

#define FLOOR_KEY "hist.floor"
#define ABSENT 'A'
#define PRESENT 'P'

bool hist_kept(int dbi)
{
    switch (dbi) {
    case DB_FW:
    case DB_REQ:
    case DB_MAP:
    case DB_JOINT:
    case DB_ORG:
    case DB_CTL:
    case DB_SCOPE:
    case DB_EV: return true;
    default: return false;
    }
}

static bool catalogue_kind(int dbi)
{
    return dbi == DB_FW || dbi == DB_REQ || dbi == DB_MAP || dbi == DB_JOINT;
}

/* The time index's prefix for org's records ("O" org NUL), or for the
 * catalogues and crosswalks ("C") when org is NULL. */
static void group_prefix(cw_key *g, const char *org, size_t ol)
{
    key_init(g);
    if (!org) {
        key_raw(g, "C", 1);
        return;
    }
    key_raw(g, "O", 1);
    key_raw(g, org, ol);
    key_sep(g);
}

static void time_suffix(cw_key *k, cw_time t)
{
    unsigned char b[8];
    be64_put(b, time_key(t));
    key_raw(k, b, 8);
}

/* hk: the history key prefix of record k of dbi (tag, key bytes), to
 * which a be64 second is appended.  Its length. */
static size_t hist_key(cw_key *hk, int dbi, const void *k, size_t kn)
{
    key_init(hk);
    unsigned char tag = (unsigned char)dbi;
    key_raw(hk, &tag, 1);
    key_raw(hk, k, kn);
    return hk->n;
}

/* From the entry at or after hkv's position (r: that seek's result),
 * the first entry of exactly the record whose key prefix is pre (kn
 * bytes), moving with op (MDB_NEXT or MDB_PREV): a longer key sharing
 * those bytes sorts among the record's entries and is passed over.  True
 * when found, with its key and value in hkv, hv. */
static bool hist_entry(MDB_cursor *c, int r, const char *pre, size_t kn, MDB_cursor_op op,
                       MDB_val *hkv, MDB_val *hv)
{
    while (r == 0 && hkv->mv_size >= kn && memcmp(hkv->mv_data, pre, kn) == 0 &&
           hkv->mv_size != kn + 8)
        r = mdb_cursor_get(c, hkv, hv, op);
    return r == 0 && hkv->mv_size == kn + 8 && memcmp(hkv->mv_data, pre, kn) == 0;
}

int hist_note(cw_db *db, MDB_txn *txn, int dbi, MDB_val k, const MDB_val *v, cw_time at)
{
    if (!hist_kept(dbi) || k.mv_size + 9 > CW_KEY_MAX)
        return 0;
    MDB_val old;
    int rc = mdb_get(txn, db->dbi[dbi], &k, &old);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    bool had = rc == 0;
    if (had && v && old.mv_size == v->mv_size && memcmp(old.mv_data, v->mv_data, v->mv_size) == 0)
        return 0; /* rewritten as it was: no version */
    if (!had && !v)
        return 0;
    /* an evidence item counts from when it was collected, however late it
     * was recorded: only its replacement or deletion is history */
    if (!had && dbi == DB_EV)
        return 0;
    cw_key hk;
    hist_key(&hk, dbi, k.mv_data, k.mv_size);
    time_suffix(&hk, at);
    MDB_val hkv = key_val(&hk), hv;
    /* the value before the first change in this second is the one that
     * held until it: a later change in the same second keeps it */
    if (mdb_get(txn, db->dbi[DB_HIST], &hkv, &hv) == 0)
        return 0;
    hv.mv_size = 1 + (had ? old.mv_size : 0);
    if ((rc = mdb_put(txn, db->dbi[DB_HIST], &hkv, &hv, MDB_RESERVE)))
        return rc;
    unsigned char *p = hv.mv_data;
    p[0] = had ? PRESENT : ABSENT;
    if (had)
        memcpy(p + 1, old.mv_data, old.mv_size);
    cw_key g;
    if (catalogue_kind(dbi)) {
        group_prefix(&g, NULL, 0);
    } else {
        const char *kp = k.mv_data;
        const char *z = dbi == DB_ORG ? NULL : memchr(kp, 0, k.mv_size);
        group_prefix(&g, kp, z ? (size_t)(z - kp) : k.mv_size);
    }
    time_suffix(&g, at);
    MDB_val gk = key_val(&g), gv = {1, "1"};
    rc = mdb_put(txn, db->dbi[DB_HISTT], &gk, &gv, 0);
    return rc;
}

cw_time hist_next(MDB_txn *txn, cw_db *db, const char *org, cw_time t)
{
    if (t >= CW_TIME_MAX)
        return INT64_MAX;
    cw_key g;
    group_prefix(&g, org, org ? strlen(org) : 0);
    size_t pn = g.n;
    time_suffix(&g, t + 1);
    MDB_cursor *c;
    if (mdb_cursor_open(txn, db->dbi[DB_HISTT], &c))
        return INT64_MAX;
    MDB_val k = key_val(&g), v;
    cw_time next = INT64_MAX;
    if (mdb_cursor_get(c, &k, &v, MDB_SET_RANGE) == 0 && k.mv_size == pn + 8 &&
        memcmp(k.mv_data, g.b, pn) == 0)
        next = time_unkey(be64_get((const unsigned char *)k.mv_data + pn));
    mdb_cursor_close(c);
    return next;
}

int hist_changes(MDB_txn *txn, cw_db *db, const char *org, cw_time from, cw_time to, cw_arena *a,
                 cw_time **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    cw_time t = from;
    while (t <= to) {
        cw_time nx = hist_next(txn, db, org, t - 1);
        if (nx == INT64_MAX || nx > to)
            break;
        cw_time *arr = cw_arena_grow(a, *out, sizeof **out, &cap, *n + 1);
        if (!arr)
            return CW_ENOMEM;
        *out = arr;
        arr[(*n)++] = nx;
        t = nx + 1;
    }
    return 0;
}

/* The greatest second <= t under the time index prefix g (g->n bytes, a
 * be64 second after it), or CW_TIME_MIN when none. */
static cw_time group_prev(MDB_txn *txn, cw_db *db, cw_key *g, cw_time t)
{
    size_t pn = g->n;
    time_suffix(g, t == CW_TIME_MAX ? t : t + 1);
    MDB_cursor *c;
    if (mdb_cursor_open(txn, db->dbi[DB_HISTT], &c))
        return CW_TIME_MIN;
    MDB_val k = key_val(g), v;
    int r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    r = r == 0 ? mdb_cursor_get(c, &k, &v, MDB_PREV) : mdb_cursor_get(c, &k, &v, MDB_LAST);
    cw_time at = CW_TIME_MIN;
    if (r == 0 && k.mv_size == pn + 8 && memcmp(k.mv_data, g->b, pn) == 0)
        at = time_unkey(be64_get((const unsigned char *)k.mv_data + pn));
    mdb_cursor_close(c);
    return at;
}

/* The second <= t at which record k of dbi last changed, or CW_TIME_MIN. */
static cw_time record_prev(MDB_txn *txn, cw_db *db, int dbi, MDB_val k, cw_time t)
{
    if (k.mv_size + 9 > CW_KEY_MAX)
        return CW_TIME_MIN;
    cw_key hk;
    size_t kn = hist_key(&hk, dbi, k.mv_data, k.mv_size);
    time_suffix(&hk, t == CW_TIME_MAX ? t : t + 1);
    MDB_cursor *c;
    if (mdb_cursor_open(txn, db->dbi[DB_HIST], &c))
        return CW_TIME_MIN;
    MDB_val hkv = key_val(&hk), hv;
    int r = mdb_cursor_get(c, &hkv, &hv, MDB_SET_RANGE);
    r = r == 0 ? mdb_cursor_get(c, &hkv, &hv, MDB_PREV) : mdb_cursor_get(c, &hkv, &hv, MDB_LAST);
    cw_time at = CW_TIME_MIN;
    if (hist_entry(c, r, hk.b, kn, MDB_PREV, &hkv, &hv))
        at = time_unkey(be64_get((const unsigned char *)hkv.mv_data + kn));
    mdb_cursor_close(c);
    return at;
}

int cw_history_versions(cw_db *db, const char *org, cw_time t, const char *const *controls,
                        size_t n, cw_time *control_at, cw_time *org_at, cw_time *catalogues_at,
                        cw_err *err)
{
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    cw_key g;
    group_prefix(&g, NULL, 0);
    *catalogues_at = group_prev(txn, db, &g, t);
    *org_at = CW_TIME_MIN;
    if (org) {
        group_prefix(&g, org, strlen(org));
        *org_at = group_prev(txn, db, &g, t);
    }
    for (size_t i = 0; i < n; i++) {
        cw_key k;
        org_item_key(&k, org, controls[i]);
        control_at[i] = record_prev(txn, db, DB_CTL, key_val(&k), t);
    }
    read_end(db, txn);
    return 0;
}

cw_time hist_floor(MDB_txn *txn, cw_db *db)
{
    MDB_val k = {sizeof FLOOR_KEY - 1, FLOOR_KEY}, v;
    if (mdb_get(txn, db->dbi[DB_META], &k, &v) || v.mv_size != 8)
        return CW_TIME_MIN;
    return time_unkey(be64_get(v.mv_data));
}

int hist_check(MDB_txn *txn, cw_db *db, cw_time rec, const char *field, cw_err *err)
{
    cw_time floor = hist_floor(txn, db);
    if (rec >= floor)
        return 0;
    char b[32];
    cw_time_format(floor, b, sizeof b);
    return cw_err_set(err, CW_ENOENT,
                      "%s: before retained history (the state is kept from %s; "
                      "history.compact folded what came before)",
                      field, b);
}

/* ---- reading a past state ---- */

/* The walk as the records are now; each_record_at's fast path, and
 * store.c's walks. */
int each_record_after(MDB_txn *txn, cw_db *db, int dbi, const cw_key *prefix, const cw_key *start,
                      each_fn fn, void *ctx, cw_err *err, const char *what)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->dbi[dbi], &c);
    if (rc)
        return lmdb_err(rc, err, what);
    size_t pn = prefix ? prefix->n : 0;
    const cw_key *from = start ? start : prefix;
    MDB_val k = from ? key_val(from) : (MDB_val){0, NULL}, v;
    int r = mdb_cursor_get(c, &k, &v, from ? MDB_SET_RANGE : MDB_FIRST);
    if (r == 0 && start && k.mv_size == start->n && memcmp(k.mv_data, start->b, start->n) == 0)
        r = mdb_cursor_get(c, &k, &v, MDB_NEXT); /* after it, not from it */
    for (; r == 0 && (!prefix || (k.mv_size >= pn && memcmp(k.mv_data, prefix->b, pn) == 0));
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        if ((rc = fn(ctx, (const char *)k.mv_data + pn, k.mv_size - pn, v)))
            break;
    mdb_cursor_close(c);
    return rc;
}

/* One record as recorded: its key and its value then. */
typedef struct then_rec {
    MDB_val k, v;
    cw_time changed; /* the first change after the time asked: INT64_MAX none */
    bool present;
} then_rec;

typedef struct then_set {
    cw_arena *a;
    strmap idx; /* record key -> index in recs */
    then_rec *recs;
    size_t n, cap;
} then_set;

static int then_slot(then_set *s, MDB_val k, size_t *i)
{
    if (strmap_get(&s->idx, k.mv_data, k.mv_size, i))
        return 0;
    then_rec *arr = cw_arena_grow(s->a, s->recs, sizeof *s->recs, &s->cap, s->n + 1);
    if (!arr)
        return CW_ENOMEM;
    s->recs = arr;
    *i = s->n++;
    arr[*i] = (then_rec){k, {0, NULL}, INT64_MAX, false};
    return strmap_put(&s->idx, k.mv_data, k.mv_size, *i, NULL) < 0 ? CW_ENOMEM : 0;
}

/* The records of dbi under prefix that changed after rec, with the value
 * each had at rec, into s. */
static int changed_after(MDB_txn *txn, cw_db *db, int dbi, const cw_key *prefix, cw_time rec,
                         then_set *s)
{
    cw_key hp;
    hist_key(&hp, dbi, prefix ? prefix->b : "", prefix ? prefix->n : 0);
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->dbi[DB_HIST], &c);
    if (rc)
        return rc;
    MDB_val k = key_val(&hp), v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size >= hp.n + 8 && memcmp(k.mv_data, hp.b, hp.n) == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        cw_time at = time_unkey(be64_get((const unsigned char *)k.mv_data + k.mv_size - 8));
        if (at <= rec || v.mv_size < 1)
            continue;
        MDB_val rk = {k.mv_size - 9, (char *)k.mv_data + 1};
        size_t i;
        if ((rc = then_slot(s, rk, &i)))
            break;
        then_rec *r = &s->recs[i];
        if (at < r->changed) {
            r->changed = at;
            r->present = ((const unsigned char *)v.mv_data)[0] == PRESENT;
            r->v = (MDB_val){v.mv_size - 1, (char *)v.mv_data + 1};
        }
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int hist_changed(MDB_txn *txn, cw_db *db, int dbi, const cw_key *prefix, cw_time rec, cw_arena *a,
                 hist_rec **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    then_set s = {a, {0}, NULL, 0, 0};
    int rc = strmap_init(&s.idx, a, 16);
    if (rc || (rc = changed_after(txn, db, dbi, prefix, rec, &s)))
        return rc == CW_ENOMEM ? rc : rc ? lmdb_err(rc, NULL, "history") : 0;
    hist_rec *r = cw_arena_alloc(a, (s.n + 1) * sizeof *r);
    if (!r)
        return CW_ENOMEM;
    for (size_t i = 0; i < s.n; i++)
        r[i] = (hist_rec){s.recs[i].k, s.recs[i].v, s.recs[i].present};
    *out = r;
    *n = s.n;
    return 0;
}

static int key_cmp(const void *pa, const void *pb)
{
    const then_rec *a = pa, *b = pb;
    size_t n = a->k.mv_size < b->k.mv_size ? a->k.mv_size : b->k.mv_size;
    int c = memcmp(a->k.mv_data, b->k.mv_data, n);
    if (c)
        return c;
    return a->k.mv_size < b->k.mv_size ? -1 : a->k.mv_size > b->k.mv_size;
}

int each_record_at(MDB_txn *txn, cw_db *db, int dbi, const cw_key *prefix, const cw_key *start,
                   cw_time rec, each_fn fn, void *ctx, cw_err *err, const char *what)
{
    if (rec == REC_NOW)
        return each_record_after(txn, db, dbi, prefix, start, fn, ctx, err, what);
    then_set s = {cw_arena_new(), {0}, NULL, 0, 0};
    int rc = s.a ? strmap_init(&s.idx, s.a, 64) : CW_ENOMEM;
    if (rc == 0 && (rc = changed_after(txn, db, dbi, prefix, rec, &s)))
        rc = lmdb_err(rc, err, what);
    if (rc == 0 && s.n == 0) {
        cw_arena_free(s.a);
        return each_record_after(txn, db, dbi, prefix, start, fn, ctx, err, what);
    }
    /* the records as they are now, where nothing changed them since rec */
    size_t pn = prefix ? prefix->n : 0;
    MDB_cursor *c = NULL;
    if (rc == 0 && (rc = mdb_cursor_open(txn, db->dbi[dbi], &c)))
        rc = lmdb_err(rc, err, what);
    if (rc == 0) {
        MDB_val k = prefix ? key_val(prefix) : (MDB_val){0, NULL}, v;
        int r = mdb_cursor_get(c, &k, &v, prefix ? MDB_SET_RANGE : MDB_FIRST);
        for (; r == 0 && k.mv_size >= pn && (!pn || memcmp(k.mv_data, prefix->b, pn) == 0);
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            size_t i;
            if (strmap_get(&s.idx, k.mv_data, k.mv_size, &i))
                continue;
            if ((rc = then_slot(&s, k, &i)))
                break;
            s.recs[i].v = v;
            s.recs[i].present = true;
        }
        mdb_cursor_close(c);
    }
    if (rc == 0) {
        qsort(s.recs, s.n, sizeof *s.recs, key_cmp);
        for (size_t i = 0; i < s.n && rc == 0; i++) {
            then_rec *r = &s.recs[i];
            if (!r->present)
                continue;
            if (start) {
                then_rec st = {key_val(start), {0, NULL}, 0, false};
                if (key_cmp(r, &st) <= 0)
                    continue;
            }
            rc = fn(ctx, (const char *)r->k.mv_data + pn, r->k.mv_size - pn, r->v);
        }
    }
    cw_arena_free(s.a);
    return rc == CW_ENOMEM ? cw_err_set(err, rc, "%s: out of memory", what) : rc;
}

int record_get_at(MDB_txn *txn, cw_db *db, int dbi, MDB_val k, cw_time rec, MDB_val *v)
{
    if (rec != REC_NOW && k.mv_size + 9 <= CW_KEY_MAX) {
        cw_key hk;
        size_t kn = hist_key(&hk, dbi, k.mv_data, k.mv_size);
        time_suffix(&hk, rec == CW_TIME_MAX ? rec : rec + 1);
        MDB_cursor *c;
        int rc = mdb_cursor_open(txn, db->dbi[DB_HIST], &c);
        if (rc)
            return rc;
        MDB_val hkv = key_val(&hk), hv;
        rc = mdb_cursor_get(c, &hkv, &hv, MDB_SET_RANGE);
        bool found = hist_entry(c, rc, hk.b, kn, MDB_NEXT, &hkv, &hv) && hv.mv_size >= 1;
        mdb_cursor_close(c);
        if (found) {
            if (((const unsigned char *)hv.mv_data)[0] != PRESENT)
                return MDB_NOTFOUND;
            *v = (MDB_val){hv.mv_size - 1, (char *)hv.mv_data + 1};
            return 0;
        }
    }
    return mdb_get(txn, db->dbi[dbi], &k, v);
}

/* ---- folding old history ---- */

int cw_history_compact(cw_db *db, cw_wtxn *w, cw_time before, size_t *removed, cw_time *kept_from,
                       cw_err *err)
{
    (void)db;
    *removed = 0;
    MDB_txn *txn = w->txn;
    cw_time floor = hist_floor(txn, w->db);
    *kept_from = floor;
    if (before > cw_now())
        return cw_err_set(err, CW_ERANGE, "before: ahead of now; only the past can be folded");
    if (before <= floor)
        return 0;
    *kept_from = before;
    for (int d = 0; d < 2; d++) {
        MDB_cursor *c;
        int rc = mdb_cursor_open(txn, w->db->dbi[d ? DB_HISTT : DB_HIST], &c);
        if (rc)
            return lmdb_err(rc, err, "history");
        MDB_val k, v;
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            if (k.mv_size < 9)
                continue;
            cw_time at = time_unkey(be64_get((const unsigned char *)k.mv_data + k.mv_size - 8));
            if (at >= before)
                continue;
            if ((rc = mdb_cursor_del(c, 0)))
                break;
            if (!d)
                (*removed)++;
        }
        mdb_cursor_close(c);
        if (rc && rc != MDB_NOTFOUND)
            return lmdb_err(rc, err, "history");
    }
    unsigned char b[8];
    be64_put(b, time_key(before));
    MDB_val k = {sizeof FLOOR_KEY - 1, FLOOR_KEY}, v = {8, b};
    return lmdb_err(mdb_put(txn, w->db->dbi[DB_META], &k, &v, 0), err, "history");
}

int cw_history_info(cw_db *db, cw_time *kept_from, size_t *versions, size_t *bytes, cw_err *err)
{
    MDB_txn *txn;
    int rc = read_begin(db, &txn, err);
    if (rc)
        return rc;
    *kept_from = hist_floor(txn, db);
    *versions = *bytes = 0;
    for (int d = DB_HIST; d <= DB_HISTT; d++) {
        MDB_stat st;
        if (mdb_stat(txn, db->dbi[d], &st))
            continue;
        if (d == DB_HIST)
            *versions = st.ms_entries;
        *bytes += (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages) * st.ms_psize;
    }
    read_end(db, txn);
    return 0;
}
