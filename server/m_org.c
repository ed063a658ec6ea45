/* The organisation methods: organisations, their controls, the evidence
 * behind the controls and their scope decisions.  Writes take one item's
 * fields as the call's arguments or a list of items (methods.def); the
 * engine writes a list atomically. */
#include "crosswalk/org.h"
#include "pack.h"
#include "server.h"

#include <string.h>

int cw_h_org_put(cw_call *k, const cw_args_org_put *args, msgpack_packer *pk, cw_err *err)
{
    cw_org o = {.slug = args->org, .name = args->name, .risk_scale = args->risk_scale};
    bool created;
    int rc = cw_org_put(k->db, k->w, &o, &created, err);
    if (rc)
        return rc;
    msgpack_pack_map(pk, 2);
    pk_kv_str(pk, "org", o.slug);
    pk_kv_bool(pk, "created", created);
    return 0;
}

int cw_h_org_get(cw_call *k, const cw_args_org_get *args, msgpack_packer *pk, cw_err *err)
{
    cw_org o;
    int rc = cw_org_get(k->db, args->org, k->a, &o, err);
    if (rc)
        return rc;
    msgpack_pack_map(pk, 3);
    pk_kv_str(pk, "org", o.slug);
    pk_kv_str(pk, "name", o.name);
    pk_kv_int(pk, "risk_scale", o.risk_scale);
    return 0;
}

int cw_h_org_list(cw_call *k, const cw_args_org_list *args, msgpack_packer *pk, cw_err *err)
{
    (void)args;
    cw_org *o;
    size_t n;
    int rc = cw_org_list(k->db, k->a, &o, &n, err);
    if (rc)
        return rc;
    /* An org-scoped token sees only its own organisation. */
    bool all = !k->s->auth_required || k->who->role == ROLE_ADMIN;
    size_t shown = 0;
    for (size_t i = 0; i < n; i++)
        shown += all || strcmp(o[i].slug, k->who->org) == 0;
    msgpack_pack_array(pk, shown);
    for (size_t i = 0; i < n; i++) {
        if (!all && strcmp(o[i].slug, k->who->org) != 0)
            continue;
        msgpack_pack_map(pk, 2);
        pk_kv_str(pk, "org", o[i].slug);
        pk_kv_str(pk, "name", o[i].name);
    }
    return 0;
}

int cw_h_org_delete(cw_call *k, const cw_args_org_delete *args, msgpack_packer *pk, cw_err *err)
{
    cw_bulk_stats st;
    return pk_stats_unless(cw_org_delete(k->db, k->w, args->org, &st, err), pk, &st);
}

int cw_h_control_put(cw_call *k, const cw_args_control_put *args, msgpack_packer *pk, cw_err *err)
{
    for (size_t i = 0; i < args->n_controls; i++)
        args->controls[i].org = args->org;
    cw_bulk_stats st;
    return pk_stats_unless(
        pk_single_error(cw_control_put(k->db, k->w, args->controls, args->n_controls, &st, err),
                        args->bulk, "controls", err),
        pk, &st);
}

static void pk_control(msgpack_packer *pk, const cw_control *c, const cw_control_state *st)
{
    msgpack_pack_map(pk, st ? 8 : 6);
    pk_kv_str(pk, "org", c->org);
    pk_kv_str(pk, "id", c->id);
    pk_kv_str(pk, "title", c->title);
    pk_kv_str(pk, "owner", c->owner);
    pk_kv_str(pk, "status", cw_ctl_status_name(c->status));
    pk_key(pk, "links");
    msgpack_pack_array(pk, c->n_links);
    for (size_t i = 0; i < c->n_links; i++) {
        msgpack_pack_map(pk, 3);
        pk_kv_str(pk, "framework", c->links[i].framework);
        pk_kv_str(pk, "id", c->links[i].id);
        pk_kv_str(pk, "level", cw_level_name(c->links[i].level));
    }
    if (st) {
        pk_kv_str(pk, "state", st->stale ? "stale" : cw_ctl_state_name(st->state));
        pk_key(pk, "evidence");
        pk_strs(pk, st->evidence, st->n_evidence);
    }
}

int cw_h_control_get(cw_call *k, const cw_args_control_get *args, msgpack_packer *pk, cw_err *err)
{
    cw_time t = args->has_as_of ? args->as_of : cw_now();
    cw_control ctl;
    cw_control_state st;
    int rc;
    if ((rc = cw_control_get(k->db, args->org, args->id, k->a, &ctl, err)) ||
        (rc = cw_control_state_get(k->db, args->org, args->id, t, k->a, &st, err)))
        return rc;
    pk_control(pk, &ctl, &st);
    return 0;
}

int cw_h_control_list(cw_call *k, const cw_args_control_list *args, msgpack_packer *pk, cw_err *err)
{
    cw_control *ctl;
    size_t n;
    cw_page page = {args->cursor, (size_t)args->limit};
    int rc = cw_control_list(k->db, args->org, &page, k->a, &ctl, &n, err);
    if (rc)
        return rc;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_control(pk, &ctl[i], NULL);
    return 0;
}

int cw_h_control_delete(cw_call *k, const cw_args_control_delete *args, msgpack_packer *pk,
                        cw_err *err)
{
    return pk_deleted_unless(cw_control_delete(k->db, k->w, args->org, args->id, err), pk);
}

static int evidence_write(cw_call *k, const char *org, cw_evidence *ev, size_t n, bool bulk,
                          msgpack_packer *pk, cw_err *err)
{
    for (size_t i = 0; i < n; i++)
        ev[i].org = org;
    cw_bulk_stats st;
    return pk_stats_unless(
        pk_single_error(cw_evidence_put(k->db, k->w, ev, n, &st, err), bulk, "items", err), pk,
        &st);
}

int cw_h_evidence_put(cw_call *k, const cw_args_evidence_put *args, msgpack_packer *pk, cw_err *err)
{
    return evidence_write(k, args->org, args->items, args->n_items, args->bulk, pk, err);
}

int cw_h_evidence_load(cw_call *k, const cw_args_evidence_load *args, msgpack_packer *pk,
                       cw_err *err)
{
    return evidence_write(k, args->org, args->items, args->n_items, args->bulk, pk, err);
}

static void pk_evidence(msgpack_packer *pk, const cw_evidence *e)
{
    msgpack_pack_map(pk, 11);
    pk_kv_str(pk, "id", e->id);
    pk_key(pk, "controls");
    pk_strs(pk, e->controls, e->n_controls);
    pk_kv_str(pk, "kind", e->kind);
    pk_kv_str(pk, "title", e->title);
    pk_kv_str(pk, "source", e->source);
    pk_kv_str(pk, "uri", e->uri);
    pk_kv_str(pk, "sha256", e->sha256);
    pk_kv_time(pk, "collected_at", e->collected_at);
    pk_key(pk, "valid_until");
    if (e->has_valid_until)
        pk_time(pk, e->valid_until);
    else
        msgpack_pack_nil(pk);
    pk_kv_str(pk, "result", cw_result_name(e->result));
    pk_kv_str(pk, "org", e->org);
}

int cw_h_evidence_get(cw_call *k, const cw_args_evidence_get *args, msgpack_packer *pk, cw_err *err)
{
    cw_evidence e;
    int rc = cw_evidence_get(k->db, args->org, args->id, k->a, &e, err);
    if (rc)
        return rc;
    pk_evidence(pk, &e);
    return 0;
}

int cw_h_evidence_list(cw_call *k, const cw_args_evidence_list *args, msgpack_packer *pk,
                       cw_err *err)
{
    cw_evidence *e;
    size_t n;
    cw_page page = {args->cursor, (size_t)args->limit};
    int rc = cw_evidence_list(k->db, args->org, args->control, &page, k->a, &e, &n, err);
    if (rc == 0)
        PK_LIST(pk, e, n, pk_evidence);
    return rc;
}

int cw_h_evidence_delete(cw_call *k, const cw_args_evidence_delete *args, msgpack_packer *pk,
                         cw_err *err)
{
    return pk_deleted_unless(cw_evidence_delete(k->db, k->w, args->org, args->id, err), pk);
}

int cw_h_scope_put(cw_call *k, const cw_args_scope_put *args, msgpack_packer *pk, cw_err *err)
{
    for (size_t i = 0; i < args->n_items; i++)
        args->items[i].org = args->org;
    cw_bulk_stats st;
    return pk_stats_unless(
        pk_single_error(cw_scope_put(k->db, k->w, args->items, args->n_items, &st, err), args->bulk,
                        "items", err),
        pk, &st);
}

int cw_h_scope_list(cw_call *k, const cw_args_scope_list *args, msgpack_packer *pk, cw_err *err)
{
    cw_scope *sc;
    size_t n;
    int rc = cw_scope_list(k->db, args->org, args->framework, k->a, &sc, &n, err);
    if (rc)
        return rc;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(pk, 5);
        pk_kv_str(pk, "framework", sc[i].framework);
        pk_kv_str(pk, "id", sc[i].id);
        pk_kv_bool(pk, "applicable", sc[i].applicable);
        pk_kv_str(pk, "justification", sc[i].justification);
        pk_key(pk, "reasons");
        pk_reasons(pk, sc[i].reasons);
    }
    return 0;
}

int cw_h_scope_delete(cw_call *k, const cw_args_scope_delete *args, msgpack_packer *pk, cw_err *err)
{
    return pk_deleted_unless(
        cw_scope_delete(k->db, k->w, args->org, args->framework, args->id, err), pk);
}
