/* The ISMS methods: the risk register (assets, risks, the heat map), the
 * internal audit programme (audits, their checklists, findings) and the
 * Statement of Applicability with its reasons and approved versions.
 * Writes take one item's fields as the call's arguments or a list of
 * items (methods.def), as the organisation methods do; times that decide
 * a flag (a risk's review, an action's due date) are judged at as_of,
 * default now. */
#include "crosswalk/isms.h"
#include "crosswalk/risk.h"
#include "pack.h"
#include "server.h"

#include <string.h>

/* ---- assets ---- */

static void pk_asset(msgpack_packer *pk, const cw_asset *s)
{
    msgpack_pack_map(pk, 5);
    pk_kv_str(pk, "org", s->org);
    pk_kv_str(pk, "id", s->id);
    pk_kv_str(pk, "name", s->name);
    pk_kv_str(pk, "owner", s->owner);
    pk_kv_str(pk, "classification", s->classification);
}

/* Every item of a bulk write names the call's organisation. */
#define SET_ORG(items, n, slug)                                                                    \
    do {                                                                                           \
        for (size_t i_ = 0; i_ < (n); i_++)                                                        \
            (items)[i_].org = (slug);                                                              \
    } while (0)

int cw_h_asset_put(cw_call *k, const cw_args_asset_put *args, msgpack_packer *pk, cw_err *err)
{
    SET_ORG(args->items, args->n_items, args->org);
    cw_bulk_stats st;
    int rc = cw_asset_put(k->db, k->w, args->items, args->n_items, &st, err);
    return pk_stats_unless(pk_single_error(rc, args->bulk, "items", err), pk, &st);
}

int cw_h_asset_get(cw_call *k, const cw_args_asset_get *args, msgpack_packer *pk, cw_err *err)
{
    cw_asset s;
    int rc = cw_asset_get(k->db, args->org, args->id, k->a, &s, err);
    if (rc == 0)
        pk_asset(pk, &s);
    return rc;
}

int cw_h_asset_list(cw_call *k, const cw_args_asset_list *args, msgpack_packer *pk, cw_err *err)
{
    cw_asset *s;
    size_t n;
    int rc = cw_asset_list(k->db, args->org, k->a, &s, &n, err);
    if (rc == 0)
        PK_LIST(pk, s, n, pk_asset);
    return rc;
}

int cw_h_asset_delete(cw_call *k, const cw_args_asset_delete *args, msgpack_packer *pk, cw_err *err)
{
    return pk_deleted_unless(cw_asset_delete(k->db, k->w, args->org, args->id, err), pk);
}

/* ---- risks ---- */

static void pk_word(msgpack_packer *pk, const char *k, const char *const *names, size_t n, int v)
{
    pk_kv_str(pk, k, cw_word_name(names, n, v));
}

/* A score pair's product, or nil when the pair is not assessed. */
static void pk_score(msgpack_packer *pk, const char *k, int likelihood, int impact)
{
    pk_key(pk, k);
    if (likelihood && impact)
        msgpack_pack_int(pk, likelihood * impact);
    else
        msgpack_pack_nil(pk);
}

static void pk_opt_int(msgpack_packer *pk, const char *k, int v)
{
    pk_key(pk, k);
    if (v)
        msgpack_pack_int(pk, v);
    else
        msgpack_pack_nil(pk);
}

static void pk_risk(msgpack_packer *pk, const cw_risk *r, cw_time t)
{
    msgpack_pack_map(pk, 20);
    pk_kv_str(pk, "org", r->org);
    pk_kv_str(pk, "id", r->id);
    pk_kv_str(pk, "title", r->title);
    pk_kv_str(pk, "description", r->description);
    pk_key(pk, "assets");
    pk_strs(pk, r->assets.v, r->assets.n);
    pk_kv_str(pk, "threat", r->threat);
    pk_kv_str(pk, "owner", r->owner);
    pk_kv_int(pk, "likelihood", r->likelihood);
    pk_kv_int(pk, "impact", r->impact);
    pk_score(pk, "inherent", r->likelihood, r->impact);
    pk_opt_int(pk, "residual_likelihood", r->residual_likelihood);
    pk_opt_int(pk, "residual_impact", r->residual_impact);
    pk_score(pk, "residual", r->residual_likelihood, r->residual_impact);
    pk_word(pk, "treatment", cw_treatment_names, cw_treatment_count, r->treatment);
    pk_key(pk, "controls");
    pk_strs(pk, r->controls.v, r->controls.n);
    pk_kv_str(pk, "accepted_by", r->accepted_by);
    pk_kv_when(pk, "accepted_at", r->accepted_at);
    pk_kv_when(pk, "acceptance_expires", r->acceptance_expires);
    pk_kv_when(pk, "review_at", r->review_at);
    static const char *const flags[] = {"review_overdue", "acceptance_expired",
                                        "acceptance_pending"};
    unsigned fl = cw_risk_flags(r, t);
    size_t n = 0;
    for (size_t i = 0; i < 3; i++)
        n += (fl >> i) & 1;
    pk_key(pk, "flags");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < 3; i++)
        if ((fl >> i) & 1)
            pk_str(pk, flags[i]);
}

static cw_time as_of(bool has, cw_time t)
{
    return has ? t : cw_now();
}

int cw_h_risk_put(cw_call *k, const cw_args_risk_put *args, msgpack_packer *pk, cw_err *err)
{
    SET_ORG(args->items, args->n_items, args->org);
    cw_bulk_stats st;
    int rc = cw_risk_put(k->db, k->w, args->items, args->n_items, &st, err);
    return pk_stats_unless(pk_single_error(rc, args->bulk, "items", err), pk, &st);
}

int cw_h_risk_get(cw_call *k, const cw_args_risk_get *args, msgpack_packer *pk, cw_err *err)
{
    cw_risk r;
    int rc = cw_risk_get(k->db, args->org, args->id, k->a, &r, err);
    if (rc == 0)
        pk_risk(pk, &r, as_of(args->has_as_of, args->as_of));
    return rc;
}

int cw_h_risk_list(cw_call *k, const cw_args_risk_list *args, msgpack_packer *pk, cw_err *err)
{
    cw_risk *r;
    size_t n;
    int rc = cw_risk_list(k->db, args->org, k->a, &r, &n, err);
    if (rc)
        return rc;
    cw_time t = as_of(args->has_as_of, args->as_of);
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_risk(pk, &r[i], t);
    return 0;
}

int cw_h_risk_delete(cw_call *k, const cw_args_risk_delete *args, msgpack_packer *pk, cw_err *err)
{
    return pk_deleted_unless(cw_risk_delete(k->db, k->w, args->org, args->id, err), pk);
}

/* Counts per cell as rows of likelihood 1..scale, each a row of impact
 * 1..scale. */
static void pk_cells(msgpack_packer *pk, const char *k, const size_t *cells, int scale)
{
    pk_key(pk, k);
    msgpack_pack_array(pk, (size_t)scale);
    for (int l = 0; l < scale; l++) {
        msgpack_pack_array(pk, (size_t)scale);
        for (int i = 0; i < scale; i++)
            msgpack_pack_uint64(pk, cells[l * scale + i]);
    }
}

int cw_h_risk_matrix(cw_call *k, const cw_args_risk_matrix *args, msgpack_packer *pk, cw_err *err)
{
    cw_risk_matrix m;
    int rc =
        cw_risk_matrix_get(k->db, args->org, as_of(args->has_as_of, args->as_of), k->a, &m, err);
    if (rc)
        return rc;
    msgpack_pack_map(pk, 8);
    pk_kv_str(pk, "org", m.org);
    pk_kv_time(pk, "as_of", m.as_of);
    pk_kv_int(pk, "scale", m.scale);
    pk_kv_int(pk, "risks", (int64_t)m.risks);
    pk_cells(pk, "inherent", m.inherent, m.scale);
    pk_cells(pk, "residual", m.residual, m.scale);
    pk_kv_int(pk, "residual_unassessed", (int64_t)m.residual_unassessed);
    pk_key(pk, "flagged");
    msgpack_pack_map(pk, 3);
    pk_kv_int(pk, "review_overdue", (int64_t)m.review_overdue);
    pk_kv_int(pk, "acceptance_expired", (int64_t)m.acceptance_expired);
    pk_kv_int(pk, "acceptance_pending", (int64_t)m.acceptance_pending);
    return 0;
}

/* ---- audits ---- */

static void pk_audit(msgpack_packer *pk, const cw_audit *u)
{
    msgpack_pack_map(pk, 9);
    pk_kv_str(pk, "org", u->org);
    pk_kv_str(pk, "id", u->id);
    pk_kv_str(pk, "title", u->title);
    pk_kv_str(pk, "framework", u->framework);
    pk_key(pk, "scope");
    pk_strs(pk, u->scope.v, u->scope.n);
    pk_kv_when(pk, "planned_start", u->planned_start);
    pk_kv_when(pk, "planned_end", u->planned_end);
    pk_kv_str(pk, "auditor", u->auditor);
    pk_word(pk, "status", cw_audit_status_names, cw_audit_status_count, u->status);
}

int cw_h_audit_put(cw_call *k, const cw_args_audit_put *args, msgpack_packer *pk, cw_err *err)
{
    SET_ORG(args->items, args->n_items, args->org);
    cw_bulk_stats st;
    int rc = cw_audit_put(k->db, k->w, args->items, args->n_items, &st, err);
    return pk_stats_unless(pk_single_error(rc, args->bulk, "items", err), pk, &st);
}

int cw_h_audit_get(cw_call *k, const cw_args_audit_get *args, msgpack_packer *pk, cw_err *err)
{
    cw_audit u;
    int rc = cw_audit_get(k->db, args->org, args->id, k->a, &u, err);
    if (rc == 0)
        pk_audit(pk, &u);
    return rc;
}

int cw_h_audit_list(cw_call *k, const cw_args_audit_list *args, msgpack_packer *pk, cw_err *err)
{
    cw_audit *u;
    size_t n;
    int rc = cw_audit_list(k->db, args->org, k->a, &u, &n, err);
    if (rc == 0)
        PK_LIST(pk, u, n, pk_audit);
    return rc;
}

int cw_h_audit_delete(cw_call *k, const cw_args_audit_delete *args, msgpack_packer *pk, cw_err *err)
{
    return pk_deleted_unless(cw_audit_delete(k->db, k->w, args->org, args->id, err), pk);
}

int cw_h_audit_checklist(cw_call *k, const cw_args_audit_checklist *args, msgpack_packer *pk,
                         cw_err *err)
{
    cw_checklist c;
    int rc = cw_audit_checklist(k->db, args->org, args->audit, as_of(args->has_as_of, args->as_of),
                                k->a, &c, err);
    if (rc)
        return rc;
    msgpack_pack_map(pk, 6);
    pk_kv_str(pk, "org", c.org);
    pk_key(pk, "audit");
    pk_audit(pk, &c.audit);
    pk_kv_time(pk, "as_of", c.as_of);
    pk_key(pk, "counts");
    pk_counts(pk, c.counts);
    pk_key(pk, "excluded");
    pk_strs(pk, c.excluded, c.n_excluded);
    pk_key(pk, "items");
    msgpack_pack_array(pk, c.n_items);
    for (size_t i = 0; i < c.n_items; i++) {
        const cw_checklist_item *it = &c.items[i];
        msgpack_pack_map(pk, 9);
        pk_kv_str(pk, "id", it->id);
        pk_kv_str(pk, "title", it->title);
        pk_kv_str(pk, "group", it->group);
        pk_kv_str(pk, "look_for", it->look_for);
        pk_kv_str(pk, "status", cw_status_name(it->status));
        pk_key(pk, "controls");
        pk_strs(pk, it->controls, it->n_controls);
        pk_key(pk, "evidence");
        pk_strs(pk, it->evidence, it->n_evidence);
        pk_key(pk, "finding");
        pk_finding_ref(pk, it->finding);
        pk_key(pk, "findings");
        pk_finding_ids(pk, it->findings, it->n_findings);
    }
    return 0;
}

/* ---- findings ---- */

int cw_h_finding_put(cw_call *k, const cw_args_finding_put *args, msgpack_packer *pk, cw_err *err)
{
    SET_ORG(args->items, args->n_items, args->org);
    cw_bulk_stats st;
    int rc = cw_finding_put(k->db, k->w, args->items, args->n_items, &st, err);
    return pk_stats_unless(pk_single_error(rc, args->bulk, "items", err), pk, &st);
}

int cw_h_finding_get(cw_call *k, const cw_args_finding_get *args, msgpack_packer *pk, cw_err *err)
{
    cw_audit_finding f;
    int rc = cw_finding_get(k->db, args->org, args->id, k->a, &f, err);
    if (rc == 0)
        pk_finding(pk, &f, as_of(args->has_as_of, args->as_of));
    return rc;
}

int cw_h_finding_list(cw_call *k, const cw_args_finding_list *args, msgpack_packer *pk, cw_err *err)
{
    cw_finding_filter f = {args->audit, args->framework, args->requirement};
    cw_audit_finding *fs;
    size_t n;
    int rc = cw_finding_list(k->db, args->org, &f, k->a, &fs, &n, err);
    if (rc)
        return rc;
    cw_time t = as_of(args->has_as_of, args->as_of);
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_finding(pk, &fs[i], t);
    return 0;
}

int cw_h_finding_delete(cw_call *k, const cw_args_finding_delete *args, msgpack_packer *pk,
                        cw_err *err)
{
    return pk_deleted_unless(cw_finding_delete(k->db, k->w, args->org, args->id, err), pk);
}

/* ---- the Statement of Applicability ---- */

static void pk_version(msgpack_packer *pk, const cw_soa_approval *v)
{
    msgpack_pack_map(pk, 6);
    pk_kv_int(pk, "version", v->version);
    pk_kv_str(pk, "approver", v->approver);
    pk_kv_time(pk, "approved_at", v->approved_at);
    pk_kv_int(pk, "sequence", (int64_t)v->sequence);
    pk_kv_bool(pk, "forced", v->forced);
    pk_kv_int(pk, "unjustified", (int64_t)v->n_unjustified);
}

/* The SoA as it stands (version 0) or as a version froze it, with the
 * versions approved so far. */
static void pk_soa(msgpack_packer *pk, const cw_soa *r, const cw_soa_approval *v, size_t nv)
{
    msgpack_pack_map(pk, 14);
    pk_kv_str(pk, "org", r->org);
    pk_kv_time(pk, "as_of", r->as_of);
    pk_key(pk, "version");
    if (r->version)
        msgpack_pack_int(pk, r->version);
    else
        msgpack_pack_nil(pk);
    pk_kv_str(pk, "approver", r->approver);
    pk_key(pk, "approved_at");
    if (r->version)
        pk_time(pk, r->approved_at);
    else
        msgpack_pack_nil(pk);
    pk_kv_bool(pk, "forced", r->forced);
    pk_kv_int(pk, "sequence", (int64_t)r->sequence);
    pk_kv_int(pk, "applicable", (int64_t)r->applicable);
    pk_kv_int(pk, "excluded", (int64_t)r->excluded);
    pk_kv_int(pk, "implemented", (int64_t)r->implemented);
    pk_key(pk, "controls");
    msgpack_pack_array(pk, r->n_items);
    for (size_t i = 0; i < r->n_items; i++) {
        const cw_soa_item *it = &r->items[i];
        msgpack_pack_map(pk, 11);
        pk_kv_str(pk, "id", it->id);
        pk_kv_str(pk, "title", it->title);
        pk_kv_str(pk, "theme", it->theme);
        pk_kv_bool(pk, "applicable", it->applicable);
        pk_kv_str(pk, "justification", it->justification);
        pk_key(pk, "reasons");
        pk_reasons(pk, it->reasons);
        pk_key(pk, "risks");
        pk_strs(pk, it->risks, it->n_risks);
        pk_kv_str(pk, "status", cw_status_name(it->status));
        pk_kv_str(pk, "implementation", it->implementation);
        pk_key(pk, "implementing_controls");
        pk_strs(pk, it->controls, it->n_controls);
        pk_key(pk, "evidence");
        pk_strs(pk, it->evidence, it->n_evidence);
    }
    pk_key(pk, "unjustified");
    msgpack_pack_array(pk, r->n_unjustified);
    for (size_t i = 0; i < r->n_unjustified; i++) {
        msgpack_pack_map(pk, 2);
        pk_kv_str(pk, "id", r->unjustified[i].id);
        pk_kv_str(pk, "why", r->unjustified[i].why);
    }
    pk_key(pk, "controls_treating_no_risk");
    pk_strs(pk, r->untreating, r->n_untreating);
    pk_key(pk, "versions");
    PK_LIST(pk, v, nv, pk_version);
}

int cw_h_soa_get(cw_call *k, const cw_args_soa_get *args, msgpack_packer *pk, cw_err *err)
{
    if (args->has_as_of && args->has_version)
        return cw_err_set(err, CW_EINVAL,
                          "as_of: an approved version answers as it was frozen; give version or "
                          "as_of, not both");
    cw_soa r;
    cw_soa_approval *v;
    size_t nv;
    int rc =
        args->has_version
            ? cw_soa_version_get(k->db, args->org, args->version, k->a, &r, err)
            : cw_soa_get(k->db, args->org, as_of(args->has_as_of, args->as_of),
                         cw_as_recorded(args->has_as_of, args->has_as_recorded, args->as_recorded),
                         k->a, &r, err);
    if (rc || (rc = cw_soa_versions(k->db, args->org, k->a, &v, &nv, err)))
        return rc;
    pk_soa(pk, &r, v, nv);
    return 0;
}

int cw_h_soa_approve(cw_call *k, const cw_args_soa_approve *args, msgpack_packer *pk, cw_err *err)
{
    cw_soa r;
    int rc = cw_soa_approve(k->db, k->w, args->org, args->version, args->approver, args->force,
                            cw_now(), k->a, &r, err);
    if (rc)
        return rc;
    cw_soa_approval v = {r.version,  r.approver, r.approved_at,
                         r.sequence, r.forced,   r.n_unjustified};
    pk_version(pk, &v);
    return 0;
}
