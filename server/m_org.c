/* The organisation methods: organisations, their controls, the evidence
 * behind the controls and their scope decisions.  Writes take one item's
 * fields as the call's arguments or a list of items (methods.def); the
 * engine writes a list atomically. */
#include "crosswalk/org.h"
#include "pack.h"
#include "server.h"

#include <string.h>

struct org_write {
    cw_call *k;
    cw_org o;
    bool created;
};

static int org_write_fn(cw_wtxn *w, void *ctx, cw_err *err)
{
    struct org_write *ow = ctx;
    return cw_org_put(ow->k->db, w, &ow->o, &ow->created, err);
}

int cw_h_org_put(cw_call *k, const cw_args_org_put *args, msgpack_packer *pk, cw_err *err)
{
    struct org_write ow = {
        k, {.slug = args->org, .name = args->name, .risk_scale = args->risk_scale}, false};
    int rc = cw_write_or_try(k, args->dry_run, org_write_fn, &ow, err);
    if (rc)
        return rc;
    msgpack_pack_map(pk, args->dry_run ? 3 : 2);
    pk_kv_str(pk, "org", ow.o.slug);
    pk_kv_bool(pk, "created", ow.created);
    if (args->dry_run)
        pk_kv_bool(pk, "dry_run", true);
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

static int control_write(cw_db *db, cw_wtxn *w, const void *a, cw_bulk_stats *st, cw_err *err)
{
    const cw_args_control_put *args = a;
    return cw_control_put(db, w, args->controls, args->n_controls, st, err);
}

int cw_h_control_put(cw_call *k, const cw_args_control_put *args, msgpack_packer *pk, cw_err *err)
{
    for (size_t i = 0; i < args->n_controls; i++)
        args->controls[i].org = args->org;
    return pk_single_error(cw_bulk_answer(k, args->dry_run, args->has_assume ? &args->assume : NULL,
                                          args->org, control_write, args, pk, err),
                           args->bulk, "controls", err);
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
    if ((rc = cw_control_get_at(
             k->db, args->org, args->id, t,
             cw_as_recorded(args->has_as_of, args->has_as_recorded, args->as_recorded), k->a, &ctl,
             &st, err)))
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

static int evidence_write(cw_db *db, cw_wtxn *w, const void *a, cw_bulk_stats *st, cw_err *err)
{
    const cw_args_evidence_put *args = a;
    return cw_evidence_put(db, w, args->items, args->n_items, st, err);
}

int cw_h_evidence_put(cw_call *k, const cw_args_evidence_put *args, msgpack_packer *pk, cw_err *err)
{
    for (size_t i = 0; i < args->n_items; i++)
        args->items[i].org = args->org;
    return pk_single_error(cw_bulk_answer(k, args->dry_run, args->has_assume ? &args->assume : NULL,
                                          args->org, evidence_write, args, pk, err),
                           args->bulk, "items", err);
}

/* The same arguments as evidence.put, where the list is required. */
int cw_h_evidence_load(cw_call *k, const cw_args_evidence_load *args, msgpack_packer *pk,
                       cw_err *err)
{
    cw_args_evidence_put put = {0};
    put.org = args->org;
    put.items = args->items;
    put.n_items = args->n_items;
    put.bulk = args->bulk;
    put.dry_run = args->dry_run;
    put.assume = args->assume;
    put.has_assume = args->has_assume;
    return cw_h_evidence_put(k, &put, pk, err);
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

static int scope_write(cw_db *db, cw_wtxn *w, const void *a, cw_bulk_stats *st, cw_err *err)
{
    const cw_args_scope_put *args = a;
    return cw_scope_put(db, w, args->items, args->n_items, st, err);
}

int cw_h_scope_put(cw_call *k, const cw_args_scope_put *args, msgpack_packer *pk, cw_err *err)
{
    for (size_t i = 0; i < args->n_items; i++)
        args->items[i].org = args->org;
    return pk_single_error(cw_bulk_answer(k, args->dry_run, args->has_assume ? &args->assume : NULL,
                                          args->org, scope_write, args, pk, err),
                           args->bulk, "items", err);
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
