/* An organisation's risk register in LMDB: assets (org\0id in DB_ASSET)
 * and risks (org\0id in DB_RISK), written through the items plumbing of
 * store.c, each risk checked against the organisation's scale, assets and
 * controls; and the heat map counted from the register.  A risk names the
 * controls that treat it, and the Statement of Applicability reads that
 * link the other way round (coverage.c), so nothing is indexed here. */
#include "crosswalk/risk.h"

#include "entity.h"

#include <string.h>

/* ---- assets ---- */

/* Record: [name, owner, classification]. */
static void encode_asset(rec_writer *r, const void *item)
{
    const cw_asset *s = item;
    rw_array(r, 3);
    rw_str(r, s->name);
    rw_str(r, s->owner);
    rw_str(r, s->classification);
}

static int decode_asset(cw_arena *a, const char *org, const char *id, size_t idl, MDB_val v,
                        void *item)
{
    cw_asset *out = item;
    rec_reader r;
    if (item_open(&r, v, a, org, id, idl, item))
        return CW_ECORRUPT;
    out->name = obj_str(a, rr_at(&r, 0));
    out->owner = obj_str(a, rr_at(&r, 1));
    out->classification = obj_str(a, rr_at(&r, 2));
    rr_close(&r);
    return 0;
}

static int asset_in_use(cw_wtxn *w, const char *org, const char *id, cw_err *err);

static const item_kind asset_items = {DB_ASSET,         "asset",      "items", CW_ENOENT,
                                      sizeof(cw_asset), decode_asset, NULL};

static int check_asset(cw_wtxn *w, const void *item, size_t i, cw_err *err)
{
    (void)w;
    const cw_asset *s = item;
    int rc;
    if ((rc = check_text_at(s->name, err, "items[%zu].name", i)) ||
        (rc = check_text_at(s->owner, err, "items[%zu].owner", i)) ||
        (rc = check_text_at(s->classification, err, "items[%zu].classification", i)))
        return rc;
    return 0;
}

static const item_put_ops asset_ops = {&asset_items, check_asset, encode_asset};

int cw_asset_put(cw_db *db, cw_wtxn *w, const cw_asset *items, size_t n, cw_bulk_stats *st,
                 cw_err *err)
{
    return items_put(db, w, &asset_ops, items, n, st, err);
}

int cw_asset_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_asset *out,
                 cw_err *err)
{
    return item_get(db, &asset_items, org, id, a, out, err);
}

int cw_asset_list(cw_db *db, const char *org, cw_arena *a, cw_asset **out, size_t *n, cw_err *err)
{
    void *items;
    int rc = org_items_list(db, &asset_items, org, "assets", a, &items, n, err);
    *out = items;
    return rc;
}

int cw_asset_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err)
{
    return item_delete_unused(db, w, &asset_items, asset_in_use, org, id, err);
}

/* ---- risks ---- */

/* Record: [title, description, threat, owner, assets, likelihood, impact,
 * residual likelihood, residual impact, treatment, controls, accepted_by,
 * accepted_at, acceptance_expires, review_at]; absent times are nil. */
static void encode_risk(rec_writer *r, const void *item)
{
    const cw_risk *k = item;
    rw_array(r, 15);
    rw_str(r, k->title);
    rw_str(r, k->description);
    rw_str(r, k->threat);
    rw_str(r, k->owner);
    rw_strs(r, k->assets.v, k->assets.n);
    rw_int(r, k->likelihood);
    rw_int(r, k->impact);
    rw_int(r, k->residual_likelihood);
    rw_int(r, k->residual_impact);
    rw_int(r, k->treatment);
    rw_strs(r, k->controls.v, k->controls.n);
    rw_str(r, k->accepted_by);
    rw_when(r, k->accepted_at);
    rw_when(r, k->acceptance_expires);
    rw_when(r, k->review_at);
}

static int decode_risk(cw_arena *a, const char *org, const char *id, size_t idl, MDB_val v,
                       void *item)
{
    cw_risk *out = item;
    rec_reader r;
    if (item_open(&r, v, a, org, id, idl, item))
        return CW_ECORRUPT;
    out->title = obj_str(a, rr_at(&r, 0));
    out->description = obj_str(a, rr_at(&r, 1));
    out->threat = obj_str(a, rr_at(&r, 2));
    out->owner = obj_str(a, rr_at(&r, 3));
    int rc = obj_strs(a, rr_at(&r, 4), &out->assets.v, &out->assets.n);
    out->likelihood = (int)obj_int(rr_at(&r, 5), 0);
    out->impact = (int)obj_int(rr_at(&r, 6), 0);
    out->residual_likelihood = (int)obj_int(rr_at(&r, 7), 0);
    out->residual_impact = (int)obj_int(rr_at(&r, 8), 0);
    /* half a residual pair: treatment changed one axis, the other stays */
    if (out->residual_likelihood && !out->residual_impact)
        out->residual_impact = out->impact;
    if (out->residual_impact && !out->residual_likelihood)
        out->residual_likelihood = out->likelihood;
    out->treatment = (cw_treatment)obj_int(rr_at(&r, 9), CW_TREAT_NONE);
    if (!rc)
        rc = obj_strs(a, rr_at(&r, 10), &out->controls.v, &out->controls.n);
    out->accepted_by = obj_str(a, rr_at(&r, 11));
    out->accepted_at = obj_when(rr_at(&r, 12));
    out->acceptance_expires = obj_when(rr_at(&r, 13));
    out->review_at = obj_when(rr_at(&r, 14));
    rr_close(&r);
    return rc;
}

static const item_kind risk_items = {DB_RISK,         "risk",      "items", CW_ENOENT,
                                     sizeof(cw_risk), decode_risk, NULL};

/* Each of ids[0..n) (list `what` of items[i]) names a record of kind in
 * org, once; a name that points at nothing is a wrong argument (CW_ELINK),
 * as a control's link to no requirement is. */
static int check_refs(MDB_txn *txn, cw_db *db, const item_kind *kind, const char *org,
                      const char *const *ids, size_t n, size_t i, const char *what, cw_err *err)
{
    if (n > CW_MAX_LIST)
        return cw_err_set(err, CW_EINVAL, "items[%zu].%s: more than %d", i, what, CW_MAX_LIST);
    for (size_t j = 0; j < n; j++) {
        size_t k;
        int rc = check_name_at(ids[j], CW_MAX_ID, err, "items[%zu].%s[%zu]", i, what, j);
        if (rc)
            return rc;
        if (repeats_earlier(ids, j, &k))
            return cw_err_set(err, CW_EINVAL,
                              "items[%zu].%s[%zu]: '%s' appears twice (also %s[%zu])", i, what, j,
                              ids[j], what, k);
        cw_key key;
        org_item_key(&key, org, ids[j]);
        MDB_val kv = key_val(&key), v;
        if (mdb_get(txn, db->dbi[kind->dbi], &kv, &v))
            return cw_err_set(err, CW_ELINK, "items[%zu].%s[%zu]: no %s '%s' in organisation '%s'",
                              i, what, j, kind->noun, ids[j], org);
    }
    return 0;
}

/* A score of the pair (field, value) on the scale 1..scale. */
static int check_score(int v, int scale, size_t i, const char *field, cw_err *err)
{
    if (v < 1 || v > scale)
        return cw_err_set(err, CW_ERANGE,
                          "items[%zu].%s: %d is outside the organisation's scale 1..%d", i, field,
                          v, scale);
    return 0;
}

static int check_risk(cw_wtxn *w, const void *item, size_t i, cw_err *err)
{
    const cw_risk *k = item;
    int rc;
    if (!k->title || !*k->title)
        return cw_err_set(err, CW_EINVAL, "items[%zu].title: missing", i);
    if ((rc = check_text_at(k->title, err, "items[%zu].title", i)) ||
        (rc = check_text_at(k->description, err, "items[%zu].description", i)) ||
        (rc = check_text_at(k->threat, err, "items[%zu].threat", i)) ||
        (rc = check_text_at(k->owner, err, "items[%zu].owner", i)) ||
        (rc = check_text_at(k->accepted_by, err, "items[%zu].accepted_by", i)))
        return rc;
    if ((unsigned)k->treatment >= cw_treatment_count)
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].treatment: must be mitigate, transfer, avoid or accept", i);
    int scale = org_risk_scale(w->txn, w->db, k->org);
    if ((rc = check_score(k->likelihood, scale, i, "likelihood", err)) ||
        (rc = check_score(k->impact, scale, i, "impact", err)))
        return rc;
    if ((k->residual_likelihood &&
         (rc = check_score(k->residual_likelihood, scale, i, "residual_likelihood", err))) ||
        (k->residual_impact &&
         (rc = check_score(k->residual_impact, scale, i, "residual_impact", err))))
        return rc;
    if (k->accepted_at.has && k->acceptance_expires.has &&
        k->acceptance_expires.at < k->accepted_at.at)
        return cw_err_set(err, CW_ERANGE,
                          "items[%zu].acceptance_expires: before accepted_at; an acceptance "
                          "expires after it was given",
                          i);
    if ((rc = check_refs(w->txn, w->db, &asset_items, k->org, k->assets.v, k->assets.n, i, "assets",
                         err)))
        return rc;
    return check_refs(w->txn, w->db, &control_items, k->org, k->controls.v, k->controls.n, i,
                      "controls", err);
}

static const item_put_ops risk_ops = {&risk_items, check_risk, encode_risk};

int cw_risk_put(cw_db *db, cw_wtxn *w, const cw_risk *items, size_t n, cw_bulk_stats *st,
                cw_err *err)
{
    return items_put(db, w, &risk_ops, items, n, st, err);
}

int cw_risk_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_risk *out, cw_err *err)
{
    return item_get(db, &risk_items, org, id, a, out, err);
}

int risks_of(MDB_txn *txn, cw_db *db, const char *org, cw_arena *a, cw_risk **out, size_t *n)
{
    void *items;
    int rc = org_items(txn, db, &risk_items, org, a, &items, n);
    *out = items;
    return rc;
}

int cw_risk_list(cw_db *db, const char *org, cw_arena *a, cw_risk **out, size_t *n, cw_err *err)
{
    void *items;
    int rc = org_items_list(db, &risk_items, org, "risks", a, &items, n, err);
    *out = items;
    return rc;
}

int cw_risk_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err)
{
    return item_delete(db, w, &risk_items, org, id, err);
}

/* The risks of org inside w, in an arena of the caller's; "<what>: ..." on
 * failure. */
static int risks_in(cw_wtxn *w, const char *org, cw_arena *a, cw_risk **rs, size_t *n,
                    const char *what, cw_err *err)
{
    *rs = NULL;
    *n = 0;
    int rc = a ? risks_of(w->txn, w->db, org, a, rs, n) : CW_ENOMEM;
    return rc ? cw_err_set(err, rc, "%s: cannot read the risks of '%s'", what, org) : 0;
}

/* An asset named by a risk stays: the register would point at nothing. */
static int asset_in_use(cw_wtxn *w, const char *org, const char *id, cw_err *err)
{
    cw_arena *a = cw_arena_new();
    cw_risk *rs = NULL;
    size_t n = 0;
    int rc = risks_in(w, org, a, &rs, &n, "id", err);
    for (size_t i = 0; i < n && !rc; i++)
        for (size_t j = 0; j < rs[i].assets.n && !rc; j++)
            if (strcmp(rs[i].assets.v[j], id) == 0)
                rc = cw_err_set(err, CW_ECONFLICT,
                                "id: asset '%s' is named by risk '%s'; take it out of the risk "
                                "first",
                                id, rs[i].id);
    cw_arena_free(a);
    return rc;
}

int risks_fit_scale(cw_wtxn *w, const char *org, int scale, cw_err *err)
{
    cw_arena *a = cw_arena_new();
    cw_risk *rs = NULL;
    size_t n = 0;
    int rc = risks_in(w, org, a, &rs, &n, "risk_scale", err);
    for (size_t i = 0; i < n && !rc; i++) {
        const cw_risk *k = &rs[i];
        int top = k->likelihood;
        const int more[] = {k->impact, k->residual_likelihood, k->residual_impact};
        for (size_t j = 0; j < 3; j++)
            if (more[j] > top)
                top = more[j];
        if (top > scale)
            rc = cw_err_set(err, CW_ECONFLICT,
                            "risk_scale: %d is below the score %d of risk '%s'; rescore the "
                            "organisation's risks first",
                            scale, top, k->id);
    }
    cw_arena_free(a);
    return rc;
}

/* ---- the heat map ---- */

struct matrix {
    cw_arena *a;
    cw_risk_matrix *m;
    cw_risk *rs;
    size_t n;
};

static int matrix_read(MDB_txn *txn, cw_db *db, const char *org, void *ctx, cw_err *err)
{
    struct matrix *x = ctx;
    x->m->scale = org_risk_scale(txn, db, org);
    int rc = risks_of(txn, db, org, x->a, &x->rs, &x->n);
    return rc ? cw_err_set(err, rc, "risks: cannot list") : 0;
}

int cw_risk_matrix_get(cw_db *db, const char *org, cw_time as_of, cw_arena *a, cw_risk_matrix *out,
                       cw_err *err)
{
    memset(out, 0, sizeof *out);
    struct matrix x = {a, out, NULL, 0};
    int rc = org_read(db, org, matrix_read, &x, err);
    if (rc)
        return rc;
    size_t cells = (size_t)out->scale * (size_t)out->scale;
    out->org = cw_arena_strdup(a, org);
    out->as_of = as_of;
    out->inherent = cw_arena_alloc(a, cells * sizeof *out->inherent);
    out->residual = cw_arena_alloc(a, cells * sizeof *out->residual);
    if (!out->org || !out->inherent || !out->residual)
        return cw_err_set(err, CW_ENOMEM, "risks: out of memory");
    for (size_t i = 0; i < x.n; i++) {
        const cw_risk *k = &x.rs[i];
        /* a score off the scale is one written before the scale shrank:
         * only org.put can do that, and it refuses */
        if (k->likelihood < 1 || k->impact < 1 || k->likelihood > out->scale ||
            k->impact > out->scale)
            continue;
        out->risks++;
        out->inherent[(size_t)(k->likelihood - 1) * (size_t)out->scale + (size_t)(k->impact - 1)]++;
        bool residual = k->residual_likelihood >= 1 && k->residual_impact >= 1 &&
                        k->residual_likelihood <= out->scale && k->residual_impact <= out->scale;
        int rl = residual ? k->residual_likelihood : k->likelihood;
        int ri = residual ? k->residual_impact : k->impact;
        out->residual[(size_t)(rl - 1) * (size_t)out->scale + (size_t)(ri - 1)]++;
        out->residual_unassessed += !residual;
        unsigned fl = cw_risk_flags(k, as_of);
        out->review_overdue += (fl & CW_RISK_REVIEW_OVERDUE) != 0;
        out->acceptance_expired += (fl & CW_RISK_ACCEPTANCE_EXPIRED) != 0;
        out->acceptance_pending += (fl & CW_RISK_ACCEPTANCE_PENDING) != 0;
    }
    return 0;
}
