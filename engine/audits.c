/* Internal audits (org\0id in DB_AUDIT) and their findings (org\0id in
 * DB_FINDING) in LMDB, written through the items plumbing of store.c.  An
 * audit's scope is a list of requirement or group ids of its framework; a
 * finding must name an assessed requirement inside it, which is checked
 * by walking the requirement's parents.  The coverage override the open
 * findings cause (docs/SEMANTICS.md §6.3) is read from the organisation
 * snapshot (orgsnap.c), which loads them with findings_of. */
#include "crosswalk/audit.h"

#include "entity.h"

#include <stdio.h>
#include <string.h>

/* ---- audits ---- */

/* Record: [title, framework, auditor, scope, planned_start, planned_end,
 * status]; absent times are nil. */
static void encode_audit(rec_writer *r, const void *item)
{
    const cw_audit *u = item;
    rw_array(r, 7);
    rw_str(r, u->title);
    rw_str(r, u->framework);
    rw_str(r, u->auditor);
    rw_strs(r, u->scope.v, u->scope.n);
    rw_when(r, u->planned_start);
    rw_when(r, u->planned_end);
    rw_int(r, u->status);
}

static int decode_audit(cw_arena *a, const char *org, const char *id, size_t idl, MDB_val v,
                        void *item)
{
    cw_audit *out = item;
    rec_reader r;
    if (item_open(&r, v, a, org, id, idl, item))
        return CW_ECORRUPT;
    out->title = obj_str(a, rr_at(&r, 0));
    out->framework = obj_str(a, rr_at(&r, 1));
    out->auditor = obj_str(a, rr_at(&r, 2));
    int rc = obj_strs(a, rr_at(&r, 3), &out->scope.v, &out->scope.n);
    out->planned_start = obj_when(rr_at(&r, 4));
    out->planned_end = obj_when(rr_at(&r, 5));
    out->status = (cw_audit_status)obj_int(rr_at(&r, 6), CW_AUDIT_PLANNED);
    rr_close(&r);
    return rc || !out->framework ? CW_ECORRUPT : 0;
}

static int audit_in_use(cw_wtxn *w, const char *org, const char *id, cw_err *err);

static const item_kind audit_items = {DB_AUDIT,         "audit",      "items", CW_ENOENT,
                                      sizeof(cw_audit), decode_audit, NULL};

/* ---- findings ---- */

/* Record: [audit, framework, requirement, kind, status, description,
 * owner, root_cause, corrective_action, raised_at, closed_at, due_at,
 * effectiveness_checked_at, effectiveness]; absent times are nil. */
static void encode_finding(rec_writer *r, const void *item)
{
    const cw_audit_finding *f = item;
    rw_array(r, 14);
    rw_str(r, f->audit);
    rw_str(r, f->framework);
    rw_str(r, f->requirement);
    rw_int(r, f->kind);
    rw_int(r, f->status);
    rw_str(r, f->description);
    rw_str(r, f->owner);
    rw_str(r, f->root_cause);
    rw_str(r, f->corrective_action);
    rw_int(r, f->raised_at);
    rw_when(r, f->closed_at);
    rw_when(r, f->due_at);
    rw_when(r, f->effectiveness_checked_at);
    rw_int(r, f->effectiveness);
}

static int decode_finding(cw_arena *a, const char *org, const char *id, size_t idl, MDB_val v,
                          void *item)
{
    cw_audit_finding *out = item;
    rec_reader r;
    if (item_open(&r, v, a, org, id, idl, item))
        return CW_ECORRUPT;
    out->audit = obj_str(a, rr_at(&r, 0));
    out->framework = obj_str(a, rr_at(&r, 1));
    out->requirement = obj_str(a, rr_at(&r, 2));
    out->kind = (cw_finding_kind)obj_int(rr_at(&r, 3), CW_FIND_OBSERVATION);
    out->status = (cw_finding_status)obj_int(rr_at(&r, 4), CW_FST_OPEN);
    out->description = obj_str(a, rr_at(&r, 5));
    out->owner = obj_str(a, rr_at(&r, 6));
    out->root_cause = obj_str(a, rr_at(&r, 7));
    out->corrective_action = obj_str(a, rr_at(&r, 8));
    out->raised_at = obj_int(rr_at(&r, 9), 0);
    out->closed_at = obj_when(rr_at(&r, 10));
    out->due_at = obj_when(rr_at(&r, 11));
    out->effectiveness_checked_at = obj_when(rr_at(&r, 12));
    out->effectiveness = (cw_effectiveness)obj_int(rr_at(&r, 13), CW_EFF_NONE);
    rr_close(&r);
    return out->audit && out->framework && out->requirement ? 0 : CW_ECORRUPT;
}

static const item_kind finding_items = {
    DB_FINDING, "finding", "items", CW_ENOENT, sizeof(cw_audit_finding), decode_finding, NULL};

int findings_of(MDB_txn *txn, cw_db *db, const char *org, cw_arena *a, cw_audit_finding **out,
                size_t *n)
{
    void *items;
    int rc = org_items(txn, db, &finding_items, org, a, &items, n);
    *out = items;
    return rc;
}

/* The findings of org that name audit, in a (the first n of *out). */
static int findings_of_audit(MDB_txn *txn, cw_db *db, const char *org, const char *audit,
                             cw_arena *a, cw_audit_finding **out, size_t *n)
{
    int rc = a ? findings_of(txn, db, org, a, out, n) : CW_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; !rc && i < *n; i++)
        if (strcmp((*out)[i].audit, audit) == 0)
            (*out)[k++] = (*out)[i];
    *n = rc ? 0 : k;
    return rc;
}

/* Whether requirement id of fw is one of scope[0..n) or under one: its
 * parents are walked in the catalogue (a parent cycle is refused when a
 * catalogue is loaded; the walk is bounded all the same). */
static bool in_scope(MDB_txn *txn, cw_db *db, const char *fw, const char *id,
                     const char *const *scope, size_t n)
{
    char cur[CW_MAX_ID + 1];
    snprintf(cur, sizeof cur, "%s", id);
    for (int depth = 0; depth < 256 && *cur; depth++) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(scope[i], cur) == 0)
                return true;
        cw_key k;
        key_init(&k);
        key_part(&k, fw);
        key_part(&k, cur);
        MDB_val kv = key_val(&k), v;
        rec_reader r;
        if (mdb_get(txn, db->dbi[DB_REQ], &kv, &v) || rr_open(&r, v, NULL))
            return false;
        const msgpack_object *p = rr_at(&r, 0);
        if (p && p->type == MSGPACK_OBJECT_STR && p->via.str.size <= CW_MAX_ID) {
            memcpy(cur, p->via.str.ptr, p->via.str.size);
            cur[p->via.str.size] = '\0';
        } else {
            cur[0] = '\0';
        }
        rr_close(&r);
    }
    return false;
}

/* ---- audits: writing ---- */

/* An audit rewritten under its findings keeps them valid: the same
 * framework, and a scope still holding each one's requirement. */
static int findings_still_fit(cw_wtxn *w, const cw_audit *u, size_t i, cw_err *err)
{
    cw_arena *a = cw_arena_new();
    cw_audit_finding *fs = NULL;
    size_t n = 0;
    int rc = findings_of_audit(w->txn, w->db, u->org, u->id, a, &fs, &n);
    if (rc)
        rc = cw_err_set(err, rc, "items[%zu]: cannot read the findings of audit '%s'", i, u->id);
    for (size_t j = 0; j < n && !rc; j++) {
        if (strcmp(fs[j].framework, u->framework) != 0)
            rc = cw_err_set(err, CW_ECONFLICT,
                            "items[%zu].framework: audit '%s' has findings on %s (finding '%s'); "
                            "its framework stays",
                            i, u->id, fs[j].framework, fs[j].id);
        else if (!in_scope(w->txn, w->db, u->framework, fs[j].requirement, u->scope.v, u->scope.n))
            rc = cw_err_set(err, CW_ECONFLICT,
                            "items[%zu].scope: no longer holds %s, named by finding '%s' of the "
                            "audit",
                            i, fs[j].requirement, fs[j].id);
    }
    cw_arena_free(a);
    return rc;
}

static int check_audit(cw_wtxn *w, const void *item, size_t i, cw_err *err)
{
    const cw_audit *u = item;
    int rc;
    if ((rc = check_name_at(u->framework, CW_MAX_SLUG, err, "items[%zu].framework", i)) ||
        (rc = check_text_at(u->title, err, "items[%zu].title", i)) ||
        (rc = check_text_at(u->auditor, err, "items[%zu].auditor", i)))
        return rc;
    if ((unsigned)u->status >= cw_audit_status_count)
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].status: must be planned, in_progress or closed", i);
    if (fw_exists(w->txn, w->db, u->framework))
        return cw_err_set(err, CW_ENOFW, "items[%zu].framework: no framework '%s'", i,
                          u->framework);
    if (u->scope.n == 0)
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].scope: at least one requirement or group of %s", i,
                          u->framework);
    if (u->scope.n > CW_MAX_LIST)
        return cw_err_set(err, CW_EINVAL, "items[%zu].scope: more than %d", i, CW_MAX_LIST);
    for (size_t j = 0; j < u->scope.n; j++) {
        size_t k;
        if ((rc = check_name_at(u->scope.v[j], CW_MAX_ID, err, "items[%zu].scope[%zu]", i, j)))
            return rc;
        if (repeats_earlier(u->scope.v, j, &k))
            return cw_err_set(err, CW_EINVAL,
                              "items[%zu].scope[%zu]: '%s' appears twice (also scope[%zu])", i, j,
                              u->scope.v[j], k);
        if (req_exists(w->txn, w->db, u->framework, u->scope.v[j], NULL))
            return cw_err_set(err, CW_ENOREQ,
                              "items[%zu].scope[%zu]: no requirement '%s' in framework '%s'", i, j,
                              u->scope.v[j], u->framework);
    }
    if (u->planned_start.has && u->planned_end.has && u->planned_end.at < u->planned_start.at)
        return cw_err_set(err, CW_ERANGE,
                          "items[%zu].planned_end: before planned_start; an audit ends after it "
                          "starts",
                          i);
    return findings_still_fit(w, u, i, err);
}

static const item_put_ops audit_ops = {&audit_items, check_audit, encode_audit};

int cw_audit_put(cw_db *db, cw_wtxn *w, const cw_audit *items, size_t n, cw_bulk_stats *st,
                 cw_err *err)
{
    return items_put(db, w, &audit_ops, items, n, st, err);
}

int cw_audit_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_audit *out,
                 cw_err *err)
{
    return item_get(db, &audit_items, org, id, a, out, err);
}

int cw_audit_list(cw_db *db, const char *org, cw_arena *a, cw_audit **out, size_t *n, cw_err *err)
{
    void *items;
    int rc = org_items_list(db, &audit_items, org, "audits", a, &items, n, err);
    *out = items;
    return rc;
}

/* An audit with findings stays: they would name an audit that is gone. */
static int audit_in_use(cw_wtxn *w, const char *org, const char *id, cw_err *err)
{
    cw_arena *a = cw_arena_new();
    cw_audit_finding *fs = NULL;
    size_t n = 0;
    int rc = findings_of_audit(w->txn, w->db, org, id, a, &fs, &n);
    if (rc)
        rc = cw_err_set(err, rc, "id: cannot read the findings of audit '%s'", id);
    else if (n)
        rc = cw_err_set(err, CW_ECONFLICT,
                        "id: audit '%s' has %zu finding%s (the first '%s'); delete them first", id,
                        n, n == 1 ? "" : "s", fs[0].id);
    cw_arena_free(a);
    return rc;
}

int cw_audit_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err)
{
    return item_delete_unused(db, w, &audit_items, audit_in_use, org, id, err);
}

/* ---- findings: writing ---- */

/* The finding's audit, decoded into a: 0, or CW_ELINK naming items[i].audit. */
static int finding_audit(cw_wtxn *w, const cw_audit_finding *f, size_t i, cw_arena *a, cw_audit *u,
                         cw_err *err)
{
    cw_key k;
    org_item_key(&k, f->org, f->audit);
    MDB_val kv = key_val(&k), v;
    if (mdb_get(w->txn, w->db->dbi[DB_AUDIT], &kv, &v))
        return cw_err_set(err, CW_ELINK, "items[%zu].audit: no audit '%s' in organisation '%s'", i,
                          f->audit, f->org);
    if (!a || decode_audit(a, f->org, f->audit, strlen(f->audit), v, u))
        return cw_err_set(err, CW_ECORRUPT, "items[%zu].audit: record of audit '%s' is unreadable",
                          i, f->audit);
    return 0;
}

/* Where the finding sits: an assessed requirement of its audit's
 * framework, inside the audit's scope. */
static int check_finding_place(cw_wtxn *w, const cw_audit_finding *f, size_t i, cw_err *err)
{
    cw_arena *a = cw_arena_new();
    cw_audit u;
    int rc = finding_audit(w, f, i, a, &u, err);
    bool assessed = false;
    if (rc) {
    } else if (strcmp(u.framework, f->framework) != 0) {
        rc = cw_err_set(err, CW_EINVAL,
                        "items[%zu].framework: '%s' is not the framework of audit '%s' (%s)", i,
                        f->framework, f->audit, u.framework);
    } else if (req_exists(w->txn, w->db, f->framework, f->requirement, &assessed)) {
        rc = cw_err_set(err, CW_ENOREQ,
                        "items[%zu].requirement: no requirement '%s' in framework '%s'", i,
                        f->requirement, f->framework);
    } else if (!assessed) {
        rc = cw_err_set(err, CW_EINVAL,
                        "items[%zu].requirement: '%s' is not assessed (a group, withdrawn or not "
                        "assessable); findings name assessed requirements",
                        i, f->requirement);
    } else if (!in_scope(w->txn, w->db, f->framework, f->requirement, u.scope.v, u.scope.n)) {
        char list[160];
        size_t o = 0;
        for (size_t j = 0; j < u.scope.n && o < sizeof list; j++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "", u.scope.v[j]);
        rc = cw_err_set(err, CW_EINVAL,
                        "items[%zu].requirement: '%s' is outside the scope of audit '%s' (%s)", i,
                        f->requirement, f->audit, list);
    }
    cw_arena_free(a);
    return rc;
}

/* What each status asks of a finding: its dates in order, a
 * nonconformity's corrective action once one is planned, and the
 * effectiveness check that verifies it. */
static int check_finding_life(const cw_audit_finding *f, size_t i, cw_err *err)
{
    bool nc = f->kind == CW_FIND_MAJOR_NC || f->kind == CW_FIND_MINOR_NC;
    if (f->closed_at.has && f->status != CW_FST_CLOSED)
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].status: %s, but closed_at is given; a finding with a "
                          "closing date has status closed",
                          i, cw_finding_status_names[f->status]);
    if (f->closed_at.has && f->closed_at.at < f->raised_at)
        return cw_err_set(err, CW_ERANGE, "items[%zu].closed_at: before raised_at", i);
    if (f->due_at.has && f->due_at.at < f->raised_at)
        return cw_err_set(err, CW_ERANGE, "items[%zu].due_at: before raised_at", i);
    if (f->effectiveness_checked_at.has && f->effectiveness_checked_at.at < f->raised_at)
        return cw_err_set(err, CW_ERANGE, "items[%zu].effectiveness_checked_at: before raised_at",
                          i);
    if (nc && f->status != CW_FST_OPEN && (!f->corrective_action || !*f->corrective_action))
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].corrective_action: missing (a nonconformity whose status "
                          "is %s names its corrective action)",
                          i, cw_finding_status_names[f->status]);
    if (f->status == CW_FST_VERIFIED && !f->effectiveness_checked_at.has)
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].effectiveness_checked_at: missing (a verified finding says "
                          "when its corrective action was checked)",
                          i);
    if (f->status == CW_FST_VERIFIED && f->effectiveness != CW_EFF_EFFECTIVE)
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].effectiveness: a finding is verified once its corrective "
                          "action proved effective",
                          i);
    return 0;
}

static int check_finding(cw_wtxn *w, const void *item, size_t i, cw_err *err)
{
    const cw_audit_finding *f = item;
    int rc;
    if ((rc = check_name_at(f->audit, CW_MAX_ID, err, "items[%zu].audit", i)) ||
        (rc = check_name_at(f->framework, CW_MAX_SLUG, err, "items[%zu].framework", i)) ||
        (rc = check_name_at(f->requirement, CW_MAX_ID, err, "items[%zu].requirement", i)) ||
        (rc = check_text_at(f->description, err, "items[%zu].description", i)) ||
        (rc = check_text_at(f->owner, err, "items[%zu].owner", i)) ||
        (rc = check_text_at(f->root_cause, err, "items[%zu].root_cause", i)) ||
        (rc = check_text_at(f->corrective_action, err, "items[%zu].corrective_action", i)))
        return rc;
    if ((unsigned)f->kind >= cw_finding_kind_count)
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].kind: must be major_nc, minor_nc, observation or "
                          "opportunity",
                          i);
    if ((unsigned)f->status >= cw_finding_status_count)
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].status: must be open, action_planned, verified or closed", i);
    if ((unsigned)f->effectiveness >= cw_effectiveness_count)
        return cw_err_set(err, CW_EINVAL,
                          "items[%zu].effectiveness: must be effective or not_effective", i);
    if ((rc = check_finding_life(f, i, err)))
        return rc;
    return check_finding_place(w, f, i, err);
}

static const item_put_ops finding_ops = {&finding_items, check_finding, encode_finding};

int cw_finding_put(cw_db *db, cw_wtxn *w, const cw_audit_finding *items, size_t n,
                   cw_bulk_stats *st, cw_err *err)
{
    return items_put(db, w, &finding_ops, items, n, st, err);
}

int cw_finding_get(cw_db *db, const char *org, const char *id, cw_arena *a, cw_audit_finding *out,
                   cw_err *err)
{
    return item_get(db, &finding_items, org, id, a, out, err);
}

static bool keeps(const char *want, const char *have)
{
    return !want || strcmp(want, have) == 0;
}

int cw_finding_list(cw_db *db, const char *org, const cw_finding_filter *f, cw_arena *a,
                    cw_audit_finding **out, size_t *n, cw_err *err)
{
    void *items = NULL;
    int rc = 0;
    *n = 0;
    if (f &&
        ((f->audit && (rc = cw_check_name("audit", f->audit, CW_MAX_ID, err))) ||
         (f->framework && (rc = cw_check_name("framework", f->framework, CW_MAX_SLUG, err))) ||
         (f->requirement && (rc = cw_check_name("requirement", f->requirement, CW_MAX_ID, err)))))
        return rc;
    rc = org_items_list(db, &finding_items, org, "findings", a, &items, n, err);
    cw_audit_finding *fs = items;
    size_t k = 0;
    for (size_t i = 0; !rc && i < *n; i++)
        if (!f || (keeps(f->audit, fs[i].audit) && keeps(f->framework, fs[i].framework) &&
                   keeps(f->requirement, fs[i].requirement)))
            fs[k++] = fs[i];
    *out = fs;
    *n = k;
    return rc;
}

int cw_finding_delete(cw_db *db, cw_wtxn *w, const char *org, const char *id, cw_err *err)
{
    return item_delete(db, w, &finding_items, org, id, err);
}
