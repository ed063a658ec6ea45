/* Packing answers: the small helpers every handler uses so that answer maps
 * always have string keys and times their RFC 3339 form, the packers of
 * values several methods answer with (paths, crosswalk rows, bulk counts),
 * and the error answer itself. */
#include "pack.h"

#include "crosswalk/error.h"
#include "crosswalk/mpack.h"
#include "crosswalk/protocol.h"

#include <stdio.h>
#include <string.h>

void pk_str(msgpack_packer *pk, const char *s)
{
    cw_mp_str(pk, s);
}

void pk_key(msgpack_packer *pk, const char *k)
{
    cw_mp_str(pk, k);
}

void pk_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
    cw_mp_kv_str(pk, k, v);
}

void pk_kv_int(msgpack_packer *pk, const char *k, int64_t v)
{
    cw_mp_kv_int(pk, k, v);
}

void pk_kv_bool(msgpack_packer *pk, const char *k, bool v)
{
    pk_key(pk, k);
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

void pk_kv_double(msgpack_packer *pk, const char *k, double v)
{
    pk_key(pk, k);
    msgpack_pack_double(pk, v);
}

void pk_time(msgpack_packer *pk, cw_time t)
{
    char buf[40];
    cw_time_format(t, buf, sizeof buf);
    pk_str(pk, buf);
}

void pk_kv_time(msgpack_packer *pk, const char *k, cw_time t)
{
    pk_key(pk, k);
    pk_time(pk, t);
}

void cw_pack_error(msgpack_packer *pk, uint64_t msgid, int proto_code, const char *msg, bool nvim)
{
    char buf[CW_ERR_MSG_MAX + 48];
    snprintf(buf, sizeof buf, "%s: %s", cw_proto_name(proto_code), msg);
    msgpack_pack_array(pk, 4);
    msgpack_pack_int(pk, CW_MSG_RESPONSE);
    msgpack_pack_uint64(pk, msgid);
    msgpack_pack_array(pk, 2);
    msgpack_pack_int(pk, nvim ? proto_code <= CW_PE_INVALID_PARAMS : proto_code);
    pk_str(pk, buf);
    msgpack_pack_nil(pk);
}

void pk_stats(msgpack_packer *pk, const cw_bulk_stats *st)
{
    msgpack_pack_map(pk, 5);
    pk_stats_fields(pk, st);
}

void pk_stats_fields(msgpack_packer *pk, const cw_bulk_stats *st)
{
    pk_kv_int(pk, "created", (int64_t)st->created);
    pk_kv_int(pk, "updated", (int64_t)st->updated);
    pk_kv_int(pk, "deleted", (int64_t)st->deleted);
    pk_kv_int(pk, "rejected", (int64_t)st->rejected);
    pk_kv_int(pk, "unchanged", (int64_t)st->unchanged);
}

int pk_stats_unless(int rc, msgpack_packer *pk, const cw_bulk_stats *st)
{
    if (rc == 0)
        pk_stats(pk, st);
    return rc;
}

int pk_single_error(int rc, bool bulk, const char *list_key, cw_err *err)
{
    char pre[32];
    size_t pl = (size_t)snprintf(pre, sizeof pre, "%s[0].", list_key);
    if (rc && !bulk && strncmp(err->msg, pre, pl) == 0)
        memmove(err->msg, err->msg + pl, strlen(err->msg + pl) + 1);
    return rc;
}

int pk_deleted_unless(int rc, msgpack_packer *pk)
{
    if (rc == 0) {
        msgpack_pack_map(pk, 1);
        pk_kv_int(pk, "deleted", 1);
    }
    return rc;
}

void pk_reasons(msgpack_packer *pk, unsigned reasons)
{
    static const char *const words[] = {"risk", "legal", "contractual", "business"};
    static const unsigned bits[] = {CW_REASON_RISK, CW_REASON_LEGAL, CW_REASON_CONTRACTUAL,
                                    CW_REASON_BUSINESS};
    size_t n = 0;
    for (size_t i = 0; i < 4; i++)
        n += (reasons & bits[i]) != 0;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < 4; i++)
        if (reasons & bits[i])
            pk_str(pk, words[i]);
}

/* The finding that set a status, in short: {id, audit, kind, status}, or
 * nil. */
void pk_finding_ref(msgpack_packer *pk, const cw_audit_finding *f)
{
    if (!f) {
        msgpack_pack_nil(pk);
        return;
    }
    msgpack_pack_map(pk, 4);
    pk_kv_str(pk, "id", f->id);
    pk_kv_str(pk, "audit", f->audit);
    pk_kv_str(pk, "kind", cw_word_name(cw_finding_kind_names, cw_finding_kind_count, f->kind));
    pk_kv_str(pk, "status",
              cw_word_name(cw_finding_status_names, cw_finding_status_count, f->status));
}

void pk_finding_ids(msgpack_packer *pk, const cw_audit_finding *const *fs, size_t n)
{
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_str(pk, fs[i]->id);
}

/* A finding in full, with whether it is open and overdue at t. */
void pk_finding(msgpack_packer *pk, const cw_audit_finding *f, cw_time t)
{
    msgpack_pack_map(pk, 18);
    pk_kv_str(pk, "org", f->org);
    pk_kv_str(pk, "id", f->id);
    pk_kv_str(pk, "audit", f->audit);
    pk_kv_str(pk, "framework", f->framework);
    pk_kv_str(pk, "requirement", f->requirement);
    pk_kv_str(pk, "kind", cw_word_name(cw_finding_kind_names, cw_finding_kind_count, f->kind));
    pk_kv_str(pk, "status",
              cw_word_name(cw_finding_status_names, cw_finding_status_count, f->status));
    pk_kv_str(pk, "description", f->description);
    pk_kv_time(pk, "raised_at", f->raised_at);
    pk_kv_when(pk, "closed_at", f->closed_at);
    pk_kv_str(pk, "owner", f->owner);
    pk_kv_str(pk, "root_cause", f->root_cause);
    pk_kv_str(pk, "corrective_action", f->corrective_action);
    pk_kv_when(pk, "due_at", f->due_at);
    pk_kv_when(pk, "effectiveness_checked_at", f->effectiveness_checked_at);
    pk_kv_str(pk, "effectiveness",
              cw_word_name(cw_effectiveness_names, cw_effectiveness_count, f->effectiveness));
    pk_kv_bool(pk, "open", cw_finding_open_at(f, t));
    pk_kv_bool(pk, "overdue", cw_finding_overdue_at(f, t));
}

void pk_counts(msgpack_packer *pk, const size_t *counts)
{
    msgpack_pack_map(pk, CW_ST_COUNT);
    for (int i = CW_ST_COUNT - 1; i >= 0; i--)
        pk_kv_int(pk, cw_status_name((cw_status)i), (int64_t)counts[i]);
}

void pk_kv_when(msgpack_packer *pk, const char *k, cw_when w)
{
    pk_key(pk, k);
    if (w.has)
        pk_time(pk, w.at);
    else
        msgpack_pack_nil(pk);
}

void pk_ref(msgpack_packer *pk, const cw_ref *r)
{
    msgpack_pack_map(pk, 2);
    pk_kv_str(pk, "framework", r->framework);
    pk_kv_str(pk, "id", r->id);
}

void pk_path(msgpack_packer *pk, const cw_path *p)
{
    if (!p) {
        msgpack_pack_nil(pk);
        return;
    }
    msgpack_pack_map(pk, 6);
    pk_key(pk, "from");
    pk_ref(pk, &p->from);
    pk_key(pk, "steps");
    msgpack_pack_array(pk, p->hops);
    for (size_t i = 0; i < p->hops; i++) {
        const cw_step *s = &p->steps[i];
        msgpack_pack_map(pk, s->note ? 7 : 6);
        pk_kv_str(pk, "framework", s->to.framework);
        pk_kv_str(pk, "id", s->to.id);
        pk_kv_str(pk, "relationship", cw_rel_name(s->rel));
        pk_key(pk, "strength");
        if (s->strength)
            msgpack_pack_int(pk, s->strength);
        else
            msgpack_pack_nil(pk);
        pk_kv_str(pk, "origin", s->origin);
        pk_kv_str(pk, "rationale", s->rationale);
        if (s->note)
            pk_kv_str(pk, "note", s->note);
    }
    pk_kv_str(pk, "composed", cw_rel_name(p->composed));
    pk_key(pk, "strength");
    if (p->strength)
        msgpack_pack_int(pk, p->strength);
    else
        msgpack_pack_nil(pk);
    pk_kv_bool(pk, "inferred", p->inferred);
    pk_kv_int(pk, "hops", (int64_t)p->hops);
}

void pk_strs(msgpack_packer *pk, const char *const *v, size_t n)
{
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_str(pk, v[i]);
}

/* A crosswalk row as mapping.load takes it: source is a string, or the
 * set of a joint row. */
void pk_row(msgpack_packer *pk, const cw_mapping *m)
{
    msgpack_pack_map(pk, 9);
    pk_kv_str(pk, "source_framework", m->source_fw);
    pk_key(pk, "source");
    if (m->n_sources)
        pk_strs(pk, m->source_ids, m->n_sources);
    else
        pk_str(pk, m->source_id);
    pk_kv_str(pk, "target_framework", m->target_fw);
    pk_kv_str(pk, "target", m->target_id);
    pk_kv_str(pk, "relationship", cw_rel_name(m->rel));
    pk_key(pk, "strength");
    if (m->strength)
        msgpack_pack_int(pk, m->strength);
    else
        msgpack_pack_nil(pk);
    pk_kv_str(pk, "rationale", m->rationale);
    pk_kv_str(pk, "origin", m->origin);
    pk_kv_str(pk, "note", m->note);
}
