/* The ISMS questions that stand on coverage: an internal audit's checklist
 * (the requirements in the audit's scope with their status and deciding
 * evidence, as coverage.c answers them) and the Statement of
 * Applicability frozen as numbered, approved versions (org\0be32(version)
 * in DB_SOAVER, each the whole SoA as it stood, so a version answers the
 * same however the organisation changes afterwards). */
#include "crosswalk/isms.h"

#include "crosswalk/catalog.h"

#include "internal.h"

#include <stdio.h>
#include <string.h>

/* ---- the audit checklist ---- */

/* Whether requirement i of reqs (n, indexed by id in idx) is one of the
 * scope ids or under one. */
static bool checklist_in_scope(const cw_requirement *reqs, const strmap *idx, const strmap *scope,
                               size_t i)
{
    for (int depth = 0; depth < 256; depth++) {
        const char *id = reqs[i].id;
        size_t unused;
        if (strmap_get(scope, id, strlen(id), &unused))
            return true;
        const char *p = reqs[i].parent;
        if (!p || !*p || !strmap_get(idx, p, strlen(p), &i))
            return false;
    }
    return false;
}

int cw_audit_checklist(cw_db *db, const char *org, const char *audit, cw_time as_of, cw_arena *a,
                       cw_checklist *out, cw_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = cw_check_name("audit", audit, CW_MAX_ID, err);
    if (rc || (rc = cw_audit_get(db, org, audit, a, &out->audit, err))) {
        if (rc == CW_ENOENT)
            cw_err_set(err, rc, "audit: no audit '%s' in organisation '%s'", audit, org);
        return rc;
    }
    out->org = out->audit.org;
    out->as_of = as_of;
    cw_coverage cov;
    cw_coverage_query q = {org, out->audit.framework, as_of, 0, true, false};
    if ((rc = cw_coverage_get(db, &q, a, &cov, err))) {
        if (rc == CW_ENOFW)
            cw_err_set(err, rc, "audit: the framework '%s' of audit '%s' is not loaded",
                       out->audit.framework, audit);
        return rc;
    }
    cw_req_filter f = {.framework = out->audit.framework};
    cw_requirement *reqs;
    size_t n;
    if ((rc = cw_requirement_list(db, &f, a, &reqs, &n, err)))
        return rc;
    strmap idx, scope;
    if (strmap_init(&idx, a, n) || strmap_init(&scope, a, out->audit.scope.n))
        return cw_err_set(err, CW_ENOMEM, "audit: out of memory");
    for (size_t i = 0; i < n; i++)
        if (strmap_put(&idx, reqs[i].id, strlen(reqs[i].id), i, NULL) < 0)
            return cw_err_set(err, CW_ENOMEM, "audit: out of memory");
    for (size_t i = 0; i < out->audit.scope.n; i++)
        if (strmap_put(&scope, out->audit.scope.v[i], strlen(out->audit.scope.v[i]), i, NULL) < 0)
            return cw_err_set(err, CW_ENOMEM, "audit: out of memory");
    out->items = cw_arena_alloc(a, (cov.n_reqs + 1) * sizeof *out->items);
    out->excluded = cw_arena_alloc(a, (cov.n_reqs + 1) * sizeof *out->excluded);
    if (!out->items || !out->excluded)
        return cw_err_set(err, CW_ENOMEM, "audit: out of memory");
    for (size_t i = 0; i < cov.n_reqs; i++) {
        const cw_req_status *rs = &cov.reqs[i];
        size_t at;
        if (!strmap_get(&idx, rs->id, strlen(rs->id), &at) ||
            !checklist_in_scope(reqs, &idx, &scope, at))
            continue;
        if (rs->status == CW_ST_NOT_APPLICABLE) {
            out->excluded[out->n_excluded++] = rs->id;
            continue;
        }
        cw_checklist_item *it = &out->items[out->n_items++];
        cw_req_sources src;
        if (cw_req_sources_get(rs, a, &src))
            return cw_err_set(err, CW_ENOMEM, "audit: out of memory");
        const char *d = reqs[at].description;
        *it = (cw_checklist_item){
            rs->id,         rs->title,    rs->group,      d && *d ? d : rs->title,
            rs->status,     src.controls, src.n_controls, src.evidence,
            src.n_evidence, rs->finding,  rs->findings,   rs->n_findings};
        out->counts[rs->status]++;
    }
    return 0;
}

/* ---- approved versions of the Statement of Applicability ---- */

static void soa_key(cw_key *k, const char *org, int version)
{
    unsigned char b[4] = {(unsigned char)(version >> 24), (unsigned char)(version >> 16),
                          (unsigned char)(version >> 8), (unsigned char)version};
    key_prefix(k, org);
    key_raw(k, b, 4);
}

/* Record: [approver, approved_at, sequence, forced, as_of, applicable,
 * excluded, implemented, rows, unjustified, untreating], a row [id,
 * title, theme, applicable, justification, status, implementation,
 * controls, evidence, reasons, risks], an unjustified row [id, why]. */
static void encode_soa(rec_writer *r, const cw_soa *s)
{
    rw_array(r, 11);
    rw_str(r, s->approver);
    rw_int(r, s->approved_at);
    rw_int(r, (int64_t)s->sequence);
    rw_bool(r, s->forced);
    rw_int(r, s->as_of);
    rw_int(r, (int64_t)s->applicable);
    rw_int(r, (int64_t)s->excluded);
    rw_int(r, (int64_t)s->implemented);
    rw_array(r, s->n_items);
    for (size_t i = 0; i < s->n_items; i++) {
        const cw_soa_item *it = &s->items[i];
        rw_array(r, 11);
        rw_str(r, it->id);
        rw_str(r, it->title);
        rw_str(r, it->theme);
        rw_bool(r, it->applicable);
        rw_str(r, it->justification);
        rw_int(r, it->status);
        rw_str(r, it->implementation);
        rw_strs(r, it->controls, it->n_controls);
        rw_strs(r, it->evidence, it->n_evidence);
        rw_int(r, it->reasons);
        rw_strs(r, it->risks, it->n_risks);
    }
    rw_array(r, s->n_unjustified);
    for (size_t i = 0; i < s->n_unjustified; i++) {
        rw_array(r, 2);
        rw_str(r, s->unjustified[i].id);
        rw_str(r, s->unjustified[i].why);
    }
    rw_strs(r, s->untreating, s->n_untreating);
}

static bool obj_true(const msgpack_object *o)
{
    return o && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
}

/* The approval's own fields of record r (version given by the key). */
static void decode_approval(cw_arena *a, const rec_reader *r, int version, cw_soa_approval *out)
{
    out->version = version;
    out->approver = obj_str(a, rr_at(r, 0));
    out->approved_at = obj_int(rr_at(r, 1), 0);
    out->sequence = (uint64_t)obj_int(rr_at(r, 2), 0);
    out->forced = obj_true(rr_at(r, 3));
    const msgpack_object *u = rr_at(r, 9);
    out->n_unjustified = u && u->type == MSGPACK_OBJECT_ARRAY ? u->via.array.size : 0;
}

static int decode_soa(cw_arena *a, const char *org, int version, MDB_val v, cw_soa *out)
{
    rec_reader r;
    if (rr_open(&r, v, NULL))
        return CW_ECORRUPT;
    cw_soa_approval ap;
    decode_approval(a, &r, version, &ap);
    memset(out, 0, sizeof *out);
    out->org = org;
    out->version = version;
    out->approver = ap.approver;
    out->approved_at = ap.approved_at;
    out->sequence = ap.sequence;
    out->forced = ap.forced;
    out->as_of = obj_int(rr_at(&r, 4), 0);
    out->applicable = (size_t)obj_int(rr_at(&r, 5), 0);
    out->excluded = (size_t)obj_int(rr_at(&r, 6), 0);
    out->implemented = (size_t)obj_int(rr_at(&r, 7), 0);
    int rc = 0;
    const msgpack_object *rows = rr_at(&r, 8), *un = rr_at(&r, 9);
    size_t nrows = rows && rows->type == MSGPACK_OBJECT_ARRAY ? rows->via.array.size : 0;
    size_t nun = un && un->type == MSGPACK_OBJECT_ARRAY ? un->via.array.size : 0;
    out->items = cw_arena_alloc(a, (nrows + 1) * sizeof *out->items);
    out->unjustified = cw_arena_alloc(a, (nun + 1) * sizeof *out->unjustified);
    if (!out->items || !out->unjustified)
        rc = CW_ENOMEM;
    for (size_t i = 0; !rc && i < nrows; i++) {
        const msgpack_object *e = &rows->via.array.ptr[i];
        if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size < 11)
            continue;
        const msgpack_object *f = e->via.array.ptr;
        cw_soa_item *it = &out->items[out->n_items++];
        it->id = obj_str(a, &f[0]);
        it->title = obj_str(a, &f[1]);
        it->theme = obj_str(a, &f[2]);
        it->applicable = obj_true(&f[3]);
        it->justification = obj_str(a, &f[4]);
        it->status = (cw_status)obj_int(&f[5], CW_ST_GAP);
        it->implementation = obj_str(a, &f[6]);
        it->reasons = (unsigned)obj_int(&f[9], 0);
        if ((rc = obj_strs(a, &f[7], &it->controls, &it->n_controls)) ||
            (rc = obj_strs(a, &f[8], &it->evidence, &it->n_evidence)) ||
            (rc = obj_strs(a, &f[10], &it->risks, &it->n_risks)))
            break;
    }
    for (size_t i = 0; !rc && i < nun; i++) {
        const msgpack_object *e = &un->via.array.ptr[i];
        if (e->type == MSGPACK_OBJECT_ARRAY && e->via.array.size == 2)
            out->unjustified[out->n_unjustified++] =
                (cw_soa_issue){obj_str(a, &e->via.array.ptr[0]), obj_str(a, &e->via.array.ptr[1])};
    }
    if (!rc)
        rc = obj_strs(a, rr_at(&r, 10), &out->untreating, &out->n_untreating);
    rr_close(&r);
    return rc;
}

/* The version number of key rest (the part after org\0), or 0. */
static int version_of(const char *rest, size_t rl)
{
    const unsigned char *b = (const unsigned char *)rest;
    return rl == 4 ? (int)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
                           (uint32_t)b[3])
                   : 0;
}

struct versions {
    cw_arena *a;
    cw_soa_approval *v;
    size_t n, cap;
};

/* An each_fn over org's versions (key order is version order). */
static int add_version(void *ctx, const char *rest, size_t rl, MDB_val v)
{
    struct versions *vs = ctx;
    int version = version_of(rest, rl);
    rec_reader r;
    if (!version || rr_open(&r, v, NULL))
        return 0;
    cw_soa_approval *arr = cw_arena_grow(vs->a, vs->v, sizeof *arr, &vs->cap, vs->n + 1);
    if (arr) {
        vs->v = arr;
        decode_approval(vs->a, &r, version, &arr[vs->n++]);
    }
    rr_close(&r);
    return arr ? 0 : CW_ENOMEM;
}

struct approve {
    const cw_soa *soa;
    const char *org;
};

static int approve_fn(cw_wtxn *w, void *arg, cw_err *err)
{
    const struct approve *ap = arg;
    const cw_soa *s = ap->soa;
    int rc = org_find(w->txn, w->db, ap->org, err);
    if (rc)
        return rc;
    /* The SoA was read from the committed store; a write to the
     * organisation earlier in this group is not in it. */
    if (org_gen(w->txn, w->db, ap->org) != s->sequence)
        return cw_err_set(err, CW_ECONFLICT,
                          "org: the data of '%s' changed in the same commit as this approval; "
                          "approve again",
                          ap->org);
    cw_arena *a = cw_arena_new();
    struct versions vs = {a, NULL, 0, 0};
    rc = a ? each_in_org(w->txn, w->db, DB_SOAVER, ap->org, add_version, &vs) : CW_ENOMEM;
    int latest = vs.n ? vs.v[vs.n - 1].version : 0;
    cw_arena_free(a);
    if (rc)
        return cw_err_set(err, rc, "version: cannot read the approved versions of '%s'", ap->org);
    if (s->version <= latest)
        return cw_err_set(err, CW_ECONFLICT,
                          "version: %d is not above the latest approved version %d; approved "
                          "versions are frozen",
                          s->version, latest);
    cw_key k;
    soa_key(&k, ap->org, s->version);
    rec_writer rw;
    rw_init(&rw);
    encode_soa(&rw, s);
    MDB_val kv = key_val(&k), v = rw_val(&rw);
    CHANGE_NOTE(w, DB_SOAVER, kv, &v);
    rc = lmdb_err(mdb_put(w->txn, w->db->dbi[DB_SOAVER], &kv, &v, 0), err, "version");
    rw_free(&rw);
    return rc;
}

/* Room for the first few unjustified rows in a refusal. */
static void name_unjustified(const cw_soa *s, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n_unjustified && i < 3 && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s %s", i ? ", " : "", s->unjustified[i].id,
                              s->unjustified[i].why);
    if (s->n_unjustified > 3 && o < cap)
        snprintf(buf + o, cap - o, ", ...");
}

int cw_soa_approve(cw_db *db, cw_wtxn *w, const char *org, int version, const char *approver,
                   bool force, cw_time now, cw_arena *a, cw_soa *out, cw_err *err)
{
    int rc;
    if ((rc = cw_check_name("org", org, CW_MAX_SLUG, err)))
        return rc;
    if (!approver || !*approver)
        return cw_err_set(err, CW_EINVAL, "approver: missing");
    if ((rc = check_text("approver", approver, err)))
        return rc;
    if (version < 1)
        return cw_err_set(err, CW_ERANGE, "version: %d is not a version number (1 or more)",
                          version);
    cw_soa s;
    if ((rc = cw_soa_get(db, org, now, false, a, &s, err)))
        return rc;
    if (s.n_unjustified && !force) {
        char rows[200];
        name_unjustified(&s, rows, sizeof rows);
        return cw_err_set(err, CW_ECONFLICT,
                          "force: %zu rows of the Statement of Applicability of '%s' are "
                          "unjustified (%s); record their reasons or approve with force",
                          s.n_unjustified, org, rows);
    }
    s.version = version;
    s.approver = cw_arena_strdup(a, approver);
    s.approved_at = now;
    s.forced = s.n_unjustified > 0;
    if (!s.approver)
        return cw_err_set(err, CW_ENOMEM, "approver: out of memory");
    struct approve ap = {&s, org};
    if ((rc = write_run(db, w, approve_fn, &ap, err)))
        return rc;
    if (out)
        *out = s;
    return 0;
}

struct version_get {
    cw_arena *a;
    int version;
    cw_soa *out;
};

static int version_read(MDB_txn *txn, cw_db *db, const char *org, void *ctx, cw_err *err)
{
    struct version_get *g = ctx;
    cw_key k;
    soa_key(&k, org, g->version);
    MDB_val kv = key_val(&k), v;
    if (mdb_get(txn, db->dbi[DB_SOAVER], &kv, &v))
        return cw_err_set(err, CW_ENOENT,
                          "version: no approved version %d of the Statement of Applicability of "
                          "'%s'",
                          g->version, org);
    const char *o = cw_arena_strdup(g->a, org);
    int rc = o ? decode_soa(g->a, o, g->version, v, g->out) : CW_ENOMEM;
    return rc ? cw_err_set(err, rc, "version: record of version %d is unreadable", g->version) : 0;
}

int cw_soa_version_get(cw_db *db, const char *org, int version, cw_arena *a, cw_soa *out,
                       cw_err *err)
{
    memset(out, 0, sizeof *out);
    struct version_get g = {a, version, out};
    return org_read(db, org, version_read, &g, err);
}

static int versions_read(MDB_txn *txn, cw_db *db, const char *org, void *ctx, cw_err *err)
{
    int rc = each_in_org(txn, db, DB_SOAVER, org, add_version, ctx);
    return rc ? cw_err_set(err, rc, "versions: cannot list") : 0;
}

int cw_soa_versions(cw_db *db, const char *org, cw_arena *a, cw_soa_approval **out, size_t *n,
                    cw_err *err)
{
    struct versions vs = {a, NULL, 0, 0};
    int rc = org_read(db, org, versions_read, &vs, err);
    *out = vs.v;
    *n = vs.n;
    return rc;
}
