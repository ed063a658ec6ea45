/* Organisations in LMDB: creating, reading and listing them (with the
 * scale their risks are scored on), and deleting one with everything it
 * owns (controls, their link index, evidence and both evidence index
 * pairs, scope decisions, and its ISMS records: assets, risks, audits,
 * findings, approved SoA versions). */
#include "crosswalk/isms_model.h"
#include "crosswalk/org.h"

#include "entity.h"

#include <string.h>

struct org_args {
    const cw_org *org;
    bool created;
};

static int org_put_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    struct org_args *oa = arg;
    MDB_val k = {strlen(oa->org->slug), (void *)oa->org->slug}, v;
    oa->created = mdb_get(w->txn, w->db->dbi[DB_ORG], &k, &v) != 0;
    /* A scale left out keeps the one in force; a new one must still hold
     * every risk already scored. */
    int scale = oa->org->risk_scale, rc;
    if (!scale)
        scale = oa->created ? CW_RISK_SCALE_DEFAULT : org_scale_of(v);
    else if (!oa->created && (rc = risks_fit_scale(w, oa->org->slug, scale, err)))
        return rc;
    rec_writer rw;
    rw_init(&rw);
    rw_array(&rw, 2);
    rw_str(&rw, oa->org->name && *oa->org->name ? oa->org->name : oa->org->slug);
    rw_int(&rw, scale);
    MDB_val old = v;
    v = rw_val(&rw);
    if (!oa->created && rec_same(old, v)) {
        rw_free(&rw); /* as stored: nothing to write, no generation to stamp */
        return 0;
    }
    CHANGE_NOTE(w, DB_ORG, k, &v);
    rc = lmdb_err(mdb_put(w->txn, w->db->dbi[DB_ORG], &k, &v, 0), err, "org");
    rw_free(&rw);
    return rc ? rc : org_touch(w->txn, w->db, oa->org->slug, err);
}

int cw_org_put(cw_db *db, cw_wtxn *w, const cw_org *org, bool *created, cw_err *err)
{
    int rc;
    if ((rc = cw_check_name("org", org->slug, CW_MAX_SLUG, err)) ||
        (rc = check_text("name", org->name, err)))
        return rc;
    if (org->risk_scale &&
        (org->risk_scale < CW_RISK_SCALE_MIN || org->risk_scale > CW_RISK_SCALE_MAX))
        return cw_err_set(err, CW_ERANGE, "risk_scale: %d is outside %d..%d", org->risk_scale,
                          CW_RISK_SCALE_MIN, CW_RISK_SCALE_MAX);
    struct org_args oa = {org, false};
    rc = write_run(db, w, org_put_fn, &oa, err);
    if (created)
        *created = oa.created;
    return rc;
}

static int decode_org(cw_arena *a, const char *slug, size_t sl, MDB_val v, cw_org *out)
{
    rec_reader r;
    if (rr_open(&r, v, NULL))
        return CW_ECORRUPT;
    out->slug = cw_arena_strndup(a, slug, sl);
    out->name = obj_str(a, rr_at(&r, 0));
    rr_close(&r);
    out->risk_scale = org_scale_of(v);
    return 0;
}

/* An item_decode_fn for organisation records (keyed by slug). */
static int decode_org_item(cw_arena *a, const char *org, const char *slug, size_t sl, MDB_val v,
                           void *out)
{
    (void)org;
    return decode_org(a, slug, sl, v, out);
}

static const item_kind org_records = {DB_ORG,         "organisation",  "org", CW_ENOORG,
                                      sizeof(cw_org), decode_org_item, NULL};

int cw_org_get(cw_db *db, const char *slug, cw_arena *a, cw_org *out, cw_err *err)
{
    return named_get(db, &org_records, slug, NULL, a, out, err);
}

int cw_org_list(cw_db *db, cw_arena *a, cw_org **out, size_t *n, cw_err *err)
{
    item_list l = {&org_records, a, NULL, NULL, NULL, 0, 0, NULL, 0, false, 0};
    int rc = items_all(db, &l, NULL, err);
    *out = l.items;
    *n = l.n;
    return rc;
}

static int org_delete_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    const char *slug = ((const char **)arg)[0];
    cw_bulk_stats *st = ((cw_bulk_stats **)arg)[1];
    MDB_val k = {strlen(slug), (void *)slug};
    CHANGE_NOTE(w, DB_ORG, k, NULL);
    int rc = mdb_del(w->txn, w->db->dbi[DB_ORG], &k, NULL);
    if (rc == MDB_NOTFOUND)
        return cw_err_set(err, CW_ENOORG, "org: no organisation '%s'", slug);
    if ((rc = lmdb_err(rc, err, "org")) || (rc = org_touch(w->txn, w->db, slug, err)))
        return rc;
    cw_key pre;
    key_prefix(&pre, slug);
    /* The index entries are not records of their own: only the records
     * count as deleted. */
    static const struct {
        int dbi;
        bool record;
    } dbs[] = {{DB_CTL, true},     {DB_CTLLINK, false}, {DB_EV, true},        {DB_EVCTL, false},
               {DB_EVPASS, false}, {DB_EVCTL_D, false}, {DB_EVPASS_D, false}, {DB_SCOPE, true},
               {DB_ASSET, true},   {DB_RISK, true},     {DB_AUDIT, true},     {DB_FINDING, true},
               {DB_SOAVER, true}};
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        size_t count = 0;
        if ((rc = delete_prefix(w, dbs[i].dbi, &pre, &count, err)))
            return rc;
        if (dbs[i].record)
            st->deleted += count;
    }
    return 0;
}

int cw_org_delete(cw_db *db, cw_wtxn *w, const char *slug, cw_bulk_stats *st, cw_err *err)
{
    int rc = cw_check_name("org", slug, CW_MAX_SLUG, err);
    if (rc)
        return rc;
    cw_bulk_stats local = {0};
    const void *args[2] = {slug, &local};
    rc = write_run(db, w, org_delete_fn, (void *)args, err);
    if (st)
        *st = rc ? (cw_bulk_stats){0} : local;
    return rc;
}
