/* The method table and its handlers: each turns a request's named
 * arguments into engine calls and the engine's answer into a msgpack map.
 * Argument shape, permissions and the read/write split are checked
 * centrally by the dispatcher (conn.c) from the flags here; handlers only
 * convert.  The table is sorted by name for bsearch. */
#include "crosswalk/catalog.h"
#include "crosswalk/mapping.h"
#include "crosswalk/org.h"
#include "crosswalk/query.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD(buf, ...) snprintf(buf, sizeof buf, __VA_ARGS__)

static int need_map(const msgpack_object *o, const char *field, cw_err *err)
{
    if (!o || o->type != MSGPACK_OBJECT_MAP)
        return cw_err_set(err, CW_EINVAL, "%s: expected a map", field);
    return 0;
}

/* Puts path ("items[3].") in front of an error naming a field inside one
 * item.  Paths are only formatted once something is wrong: bulk loads
 * decode millions of fields. */
static int in_path(int rc, const char *path, cw_err *err)
{
    size_t pl = strlen(path), ml = strlen(err->msg);
    if (rc && pl && pl < CW_ERR_MSG_MAX) {
        if (pl + ml >= CW_ERR_MSG_MAX)
            ml = CW_ERR_MSG_MAX - 1 - pl;
        memmove(err->msg + pl, err->msg, ml);
        memcpy(err->msg, path, pl);
        err->msg[pl + ml] = '\0';
    }
    return rc;
}

/* String member of an item map, with a field path for messages. */
static int item_str(const msgpack_object *m, const char *path, const char *key, bool required,
                    cw_arena *a, const char **out, cw_err *err)
{
    const msgpack_object *o = arg_get(m, key);
    *out = NULL;
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        return required ? in_path(cw_err_set(err, CW_EINVAL, "%s: missing", key), path, err) : 0;
    return in_path(obj_to_str(o, key, a, out, err), path, err);
}

/* A filter that names a slug or id (requirement.list kind, mapping.delete
 * endpoints): held to the rules the stored values obey, so that an empty
 * or oversized filter is refused instead of silently matching nothing. */
static int check_filter(const char *field, const char *s, size_t max, cw_err *err)
{
    if (!*s)
        return cw_err_set(err, CW_EINVAL, "%s: must be a non-empty string", field);
    size_t n = strlen(s);
    if (n > max)
        return cw_err_set(err, CW_EINVAL, "%s: '%.40s...' is longer than %zu bytes", field, s,
                          max);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return cw_err_set(err, CW_EINVAL, "%s: contains a control character", field);
    return 0;
}

static int arg_filter(const msgpack_object *args, const char *key, size_t max, cw_arena *a,
                      const char **out, cw_err *err)
{
    int rc = arg_str(args, key, false, a, out, err);
    if (rc == 0 && *out)
        rc = check_filter(key, *out, max, err);
    return rc;
}

static void pk_stats(msgpack_packer *pk, const cw_bulk_stats *st)
{
    msgpack_pack_map(pk, 4);
    pk_kv_int(pk, "created", (int64_t)st->created);
    pk_kv_int(pk, "updated", (int64_t)st->updated);
    pk_kv_int(pk, "deleted", (int64_t)st->deleted);
    pk_kv_int(pk, "rejected", (int64_t)st->rejected);
}

static void pk_ref(msgpack_packer *pk, const cw_ref *r)
{
    msgpack_pack_map(pk, 2);
    pk_kv_str(pk, "framework", r->framework);
    pk_kv_str(pk, "id", r->id);
}

static void pk_path(msgpack_packer *pk, const cw_path *p)
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

static void pk_strs(msgpack_packer *pk, const char *const *v, size_t n)
{
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_str(pk, v[i]);
}

/* A crosswalk row as mapping.load takes it: source is a string, or the
 * set of a joint row. */
static void pk_row(msgpack_packer *pk, const cw_mapping *m)
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

static int opt_hops(const msgpack_object *args, int *out, cw_err *err)
{
    int64_t h = 0;
    int rc = arg_int(args, "max_hops", false, 1, CW_MAX_HOPS, &h, err);
    *out = (int)h;
    return rc;
}

/* ---- server ---- */

static int h_ping(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w, cw_arena *a,
                  msgpack_packer *pk, cw_err *err)
{
    (void)s, (void)c, (void)args, (void)w, (void)a, (void)err;
    pk_str(pk, "pong");
    return 0;
}

static int h_server_info(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                         cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)args, (void)w, (void)a;
    cw_db_counts n;
    int rc = cw_db_counts_get(s->db, &n, err);
    if (rc)
        return rc;
    msgpack_pack_map(pk, 8);
    pk_kv_str(pk, "version", CW_VERSION);
    pk_kv_int(pk, "schema_version", CW_SCHEMA_VERSION);
    pk_kv_int(pk, "uptime_s", (int64_t)((uv_now(s->loop) - s->start_ms) / 1000));
    pk_kv_bool(pk, "auth_required", s->auth_required);
    pk_key(pk, "limits");
    msgpack_pack_map(pk, 6);
    pk_kv_int(pk, "max_message", (int64_t)s->cfg.max_message);
    pk_kv_int(pk, "max_depth", s->cfg.max_depth);
    pk_kv_int(pk, "max_connections", s->cfg.max_connections);
    pk_kv_int(pk, "max_output", (int64_t)s->cfg.max_output);
    pk_kv_int(pk, "idle_timeout_s", s->cfg.idle_timeout);
    pk_kv_int(pk, "max_hops", CW_MAX_HOPS);
    pk_key(pk, "counts");
    msgpack_pack_map(pk, 8);
    pk_kv_int(pk, "frameworks", (int64_t)n.frameworks);
    pk_kv_int(pk, "requirements", (int64_t)n.requirements);
    pk_kv_int(pk, "mappings", (int64_t)n.mappings);
    pk_kv_int(pk, "joint_mappings", (int64_t)n.joint_mappings);
    pk_kv_int(pk, "orgs", (int64_t)n.orgs);
    pk_kv_int(pk, "controls", (int64_t)n.controls);
    pk_kv_int(pk, "evidence", (int64_t)n.evidence);
    pk_kv_int(pk, "scope", (int64_t)n.scope);
    pk_key(pk, "storage");
    msgpack_pack_map(pk, 3);
    pk_kv_int(pk, "map_size", (int64_t)n.map_size);
    pk_kv_int(pk, "map_used", (int64_t)n.map_used);
    pk_kv_int(pk, "map_size_max", (int64_t)n.map_size_max);
    pk_key(pk, "errors");
    static const struct {
        int code;
        const char *name, *meaning;
    } errs[] = {
#define CW_X_INFO(n, c, s, d) {c, s, d},
        CW_PROTO_ERRORS(CW_X_INFO)
#undef CW_X_INFO
    };
    msgpack_pack_array(pk, sizeof errs / sizeof errs[0]);
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        msgpack_pack_map(pk, 3);
        pk_kv_int(pk, "code", errs[i].code);
        pk_kv_str(pk, "name", errs[i].name);
        pk_kv_str(pk, "meaning", errs[i].meaning);
    }
    return 0;
}

static int h_server_stats(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                          cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)args, (void)w, (void)a, (void)err;
    msgpack_pack_map(pk, 10);
    size_t used = 0;
    for (size_t i = 0; i < cw_method_count(); i++)
        used += s->mstats[i].requests > 0;
    pk_key(pk, "methods");
    msgpack_pack_map(pk, used);
    for (size_t i = 0; i < cw_method_count(); i++) {
        if (!s->mstats[i].requests)
            continue;
        pk_key(pk, cw_method_at(i)->name);
        msgpack_pack_map(pk, 2);
        pk_kv_int(pk, "requests", (int64_t)s->mstats[i].requests);
        pk_kv_int(pk, "errors", (int64_t)s->mstats[i].errors);
    }
    pk_key(pk, "latency_us");
    size_t nb = 0;
    for (int i = 0; i < LAT_BUCKETS; i++)
        nb += s->lat[i] > 0;
    msgpack_pack_map(pk, nb);
    for (int i = 0; i < LAT_BUCKETS; i++) {
        if (!s->lat[i])
            continue;
        char k[32];
        snprintf(k, sizeof k, "le_%llu", 1ULL << i);
        pk_kv_int(pk, k, (int64_t)s->lat[i]);
    }
    pk_kv_int(pk, "connections", s->n_conns);
    pk_kv_int(pk, "connections_total", (int64_t)s->total_conns);
    pk_kv_int(pk, "bytes_in", (int64_t)s->bytes_in);
    pk_kv_int(pk, "bytes_out", (int64_t)s->bytes_out);
    pk_kv_int(pk, "commits", (int64_t)s->commits);
    pk_kv_int(pk, "writes_committed", (int64_t)s->grouped_writes);
    pk_kv_int(pk, "unknown_methods", (int64_t)s->unknown_methods);
    pk_kv_int(pk, "protocol_errors", (int64_t)s->protocol_errors);
    return 0;
}

static const char *role_name(cw_role r)
{
    return r == ROLE_ADMIN ? "admin" : r == ROLE_EDITOR ? "editor" : r == ROLE_AUDITOR ? "auditor"
                                                                                     : "none";
}

static int h_auth(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w, cw_arena *a,
                  msgpack_packer *pk, cw_err *err)
{
    (void)w;
    const char *tok;
    int rc = arg_str(args, "token", true, a, &tok, err);
    if (rc)
        return rc;
    if (!s->auth_required) {
        c->role = ROLE_ADMIN;
    } else {
        const cw_token *t = cw_auth_find(s, tok, strlen(tok));
        if (!t) {
            /* A wrong token must not leave an earlier identity in force:
             * a client that meant to switch tokens would otherwise go on
             * acting with the old one without noticing. */
            c->auth_failures++;
            c->role = ROLE_NONE;
            c->org[0] = '\0';
            return cw_err_set(err, CW_EAUTH, "token: not recognised");
        }
        c->role = t->role;
        snprintf(c->org, sizeof c->org, "%s", t->org);
        cw_log(s, LOG_INFO, "auth conn=%llu token=%s role=%s org=%s", (unsigned long long)c->id,
               t->name, role_name(t->role), t->org[0] ? t->org : "-");
    }
    msgpack_pack_map(pk, 2);
    pk_kv_str(pk, "role", role_name(c->role));
    pk_kv_str(pk, "org", c->org[0] ? c->org : NULL);
    return 0;
}

/* ---- catalogues ---- */

static void pk_framework(msgpack_packer *pk, const cw_framework_info *fi)
{
    msgpack_pack_map(pk, 9);
    pk_kv_str(pk, "framework", fi->fw.slug);
    pk_kv_str(pk, "name", fi->fw.name);
    pk_kv_str(pk, "version", fi->fw.version);
    pk_kv_str(pk, "publisher", fi->fw.publisher);
    pk_kv_str(pk, "licence", fi->fw.licence);
    pk_kv_int(pk, "requirements", (int64_t)fi->requirements);
    pk_kv_int(pk, "leaves", (int64_t)fi->leaves);
    pk_kv_int(pk, "assessable", (int64_t)fi->assessable);
    pk_kv_int(pk, "withdrawn", (int64_t)fi->withdrawn);
}

static int h_framework_list(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                            cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)args, (void)w;
    cw_framework_info *fi;
    size_t n;
    int rc = cw_framework_list(s->db, a, &fi, &n, err);
    if (rc)
        return rc;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_framework(pk, &fi[i]);
    return 0;
}

static int h_framework_get(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                           cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    const char *fw;
    cw_framework_info fi;
    int rc;
    if ((rc = arg_str(args, "framework", true, a, &fw, err)) ||
        (rc = cw_framework_get(s->db, fw, a, &fi, err)))
        return rc;
    pk_framework(pk, &fi);
    return 0;
}

static void pk_requirement(msgpack_packer *pk, const cw_requirement *q, const char **kids,
                           size_t nk, bool with_kids)
{
    msgpack_pack_map(pk, with_kids ? 11 : 10);
    pk_kv_str(pk, "framework", q->framework);
    pk_kv_str(pk, "id", q->id);
    pk_kv_str(pk, "parent", q->parent);
    pk_kv_str(pk, "kind", q->kind);
    pk_kv_str(pk, "title", q->title);
    pk_kv_str(pk, "description", q->description);
    pk_kv_bool(pk, "leaf", q->leaf);
    pk_kv_bool(pk, "assessable", q->assessable);
    pk_kv_str(pk, "status", q->withdrawn ? "withdrawn" : "active");
    pk_key(pk, "attributes");
    msgpack_pack_map(pk, q->n_attrs);
    for (size_t i = 0; i < q->n_attrs; i++) {
        pk_str(pk, q->attrs[i].key ? q->attrs[i].key : "");
        pk_strs(pk, q->attrs[i].values, q->attrs[i].n_values);
    }
    if (with_kids) {
        pk_key(pk, "children");
        pk_strs(pk, kids, nk);
    }
}

static int h_requirement_get(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                             cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    const char *fw, *id, **kids;
    size_t nk;
    cw_requirement q;
    int rc;
    if ((rc = arg_str(args, "framework", true, a, &fw, err)) ||
        (rc = arg_str(args, "id", true, a, &id, err)) ||
        (rc = cw_requirement_get(s->db, fw, id, a, &q, &kids, &nk, err)))
        return rc;
    /* Catalogue look-ups are the most frequent calls; their packed answers
     * are kept per answer id, like coverage answers (render cache below). */
    if (!q.answer_id || (!s->req_rendered &&
                         !(s->req_rendered = calloc(REQ_RENDER_SLOTS, sizeof *s->req_rendered)))) {
        pk_requirement(pk, &q, kids, nk, true);
        return 0;
    }
    struct cw_rendered *r = &s->req_rendered[q.answer_id % REQ_RENDER_SLOTS];
    if (r->answer_id != q.answer_id || !r->blob) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer bpk;
        msgpack_packer_init(&bpk, &sb, msgpack_sbuffer_write);
        pk_requirement(&bpk, &q, kids, nk, true);
        cw_blob *b = cw_blob_new(&sb);
        msgpack_sbuffer_destroy(&sb);
        if (!b) {
            pk_requirement(pk, &q, kids, nk, true);
            return 0;
        }
        cw_blob_unref(r->blob);
        *r = (struct cw_rendered){q.answer_id, 0, b};
    }
    /* small: copying beats a write segment of its own */
    pk->callback(pk->data, r->blob->data, r->blob->len);
    return 0;
}

static int h_requirement_list(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                              cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    cw_req_filter f = {0};
    const char *attr = NULL;
    int rc;
    if ((rc = arg_str(args, "framework", true, a, &f.framework, err)) ||
        (rc = arg_str(args, "parent", false, a, &f.parent, err)) ||
        (rc = arg_filter(args, "kind", CW_MAX_SLUG, a, &f.kind, err)) ||
        (rc = arg_bool(args, "leaves_only", &f.leaves_only, err)) ||
        (rc = arg_bool(args, "assessable_only", &f.assessable_only, err)) ||
        (rc = arg_str(args, "attribute", false, a, &attr, err)))
        return rc;
    if (attr) {
        /* "key" or "key=value" */
        char *copy = cw_arena_strdup(a, attr);
        if (!copy)
            return cw_err_set(err, CW_ENOMEM, "attribute: out of memory");
        char *eq = strchr(copy, '=');
        if (eq)
            *eq = '\0';
        f.attr_key = copy;
        f.attr_value = eq ? eq + 1 : NULL;
        if ((rc = check_filter("attribute", f.attr_key, CW_MAX_SLUG, err)) ||
            (f.attr_value && (rc = check_filter("attribute", f.attr_value, CW_MAX_ID, err))))
            return rc;
    }
    cw_requirement *list;
    size_t n;
    if ((rc = cw_requirement_list(s->db, &f, a, &list, &n, err)))
        return rc;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_requirement(pk, &list[i], NULL, 0, false);
    return 0;
}

static int decode_attrs(const msgpack_object *o, const char *path, cw_arena *a,
                        cw_requirement *q, cw_err *err)
{
    char f[160];
    FIELD(f, "%sattributes", path);
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (o->type != MSGPACK_OBJECT_MAP)
        return cw_err_set(err, CW_EINVAL, "%s: expected a map of name to list of strings", f);
    q->n_attrs = o->via.map.size;
    q->attrs = cw_arena_alloc(a, (q->n_attrs + 1) * sizeof *q->attrs);
    if (!q->attrs)
        return cw_err_set(err, CW_ENOMEM, "%s: out of memory", f);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        int rc = obj_to_str(&kv->key, f, a, &q->attrs[i].key, err);
        if (rc)
            return rc;
        const msgpack_object *v = &kv->val;
        char fv[200];
        FIELD(fv, "%s.%s", f, q->attrs[i].key);
        if (v->type == MSGPACK_OBJECT_STR) {
            q->attrs[i].n_values = 1;
            q->attrs[i].values = cw_arena_alloc(a, sizeof(char *));
            if ((rc = obj_to_str(v, fv, a, &q->attrs[i].values[0], err)))
                return rc;
            continue;
        }
        if (v->type != MSGPACK_OBJECT_ARRAY)
            return cw_err_set(err, CW_EINVAL, "%s: expected a list of strings", fv);
        q->attrs[i].n_values = v->via.array.size;
        q->attrs[i].values = cw_arena_alloc(a, (v->via.array.size + 1) * sizeof(char *));
        for (uint32_t j = 0; j < v->via.array.size; j++) {
            char fj[220];
            FIELD(fj, "%s[%u]", fv, j);
            if ((rc = obj_to_str(&v->via.array.ptr[j], fj, a, &q->attrs[i].values[j], err)))
                return rc;
        }
    }
    return 0;
}

#define REQ_KEYS "id parent kind title description attributes assessable status"
#define MAP_KEYS                                                                          \
    "source_framework source target_framework target relationship strength rationale origin " \
    "note"

static int h_catalog_load(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                          cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    cw_framework fw = {0};
    bool replace = false;
    const msgpack_object_array *reqs;
    int rc;
    if ((rc = arg_str(args, "framework", true, a, &fw.slug, err)) ||
        (rc = arg_str(args, "name", false, a, &fw.name, err)) ||
        (rc = arg_str(args, "version", false, a, &fw.version, err)) ||
        (rc = arg_str(args, "publisher", false, a, &fw.publisher, err)) ||
        (rc = arg_str(args, "licence", false, a, &fw.licence, err)) ||
        (rc = arg_bool(args, "replace", &replace, err)) ||
        (rc = arg_array(args, "requirements", true, &reqs, err)))
        return rc;
    cw_requirement *q = cw_arena_alloc(a, (reqs->size + 1) * sizeof *q);
    if (!q)
        return cw_err_set(err, CW_ENOMEM, "requirements: out of memory");
    for (uint32_t i = 0; i < reqs->size; i++) {
        char path[48];
        FIELD(path, "requirements[%u]", i);
        const msgpack_object *m = &reqs->ptr[i];
        if ((rc = need_map(m, path, err)))
            return rc;
        FIELD(path, "requirements[%u].", i);
        const char *status = NULL;
        if ((rc = in_path(arg_check_keys(m, REQ_KEYS, err), path, err)) ||
            (rc = item_str(m, path, "id", true, a, &q[i].id, err)) ||
            (rc = item_str(m, path, "parent", false, a, &q[i].parent, err)) ||
            (rc = item_str(m, path, "kind", false, a, &q[i].kind, err)) ||
            (rc = item_str(m, path, "title", false, a, &q[i].title, err)) ||
            (rc = item_str(m, path, "description", false, a, &q[i].description, err)) ||
            (rc = decode_attrs(arg_get(m, "attributes"), path, a, &q[i], err)) ||
            (rc = item_str(m, path, "status", false, a, &status, err)))
            return rc;
        const msgpack_object *as = arg_get(m, "assessable");
        if (as && as->type != MSGPACK_OBJECT_NIL) {
            if (as->type != MSGPACK_OBJECT_BOOLEAN)
                return cw_err_set(err, CW_EINVAL,
                                  "%sassessable: expected a boolean (or nil to decide by the "
                                  "tree)",
                                  path);
            q[i].assess = as->via.boolean ? CW_ASSESS_YES : CW_ASSESS_NO;
        }
        if (status && strcmp(status, "withdrawn") == 0)
            q[i].withdrawn = true;
        else if (status && strcmp(status, "active") != 0)
            return cw_err_set(err, CW_EINVAL, "%sstatus: '%.40s' is not active or withdrawn",
                              path, status);
    }
    cw_bulk_stats st;
    if ((rc = cw_catalog_load(s->db, w, &fw, q, reqs->size, replace, &st, err)))
        return rc;
    pk_stats(pk, &st);
    return 0;
}

static int h_catalog_delete(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                            cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    const char *fw;
    cw_bulk_stats st;
    int rc;
    if ((rc = arg_str(args, "framework", true, a, &fw, err)) ||
        (rc = cw_catalog_delete(s->db, w, fw, &st, err)))
        return rc;
    pk_stats(pk, &st);
    return 0;
}

/* ---- crosswalks ---- */

/* A mapping's source: one id, or for a joint row an array of 2..64 ids of
 * the row's source framework.  A member may also be written as a map
 * {framework?, id}, as OSCAL and GRC tools name requirements; its
 * framework, when given, must be the row's.  Fills m->source_id or
 * m->source_ids / n_sources. */
static int decode_sources(const msgpack_object *o, const char *path, const char *sfw,
                          cw_arena *a, cw_mapping *m, cw_err *err)
{
    const msgpack_object *src = arg_get(o, "source");
    if (!src || src->type != MSGPACK_OBJECT_ARRAY)
        return item_str(o, path, "source", true, a, &m->source_id, err);
    uint32_t n = src->via.array.size;
    if (n < 2 || n > CW_MAX_JOINT)
        return cw_err_set(err, CW_EINVAL,
                          "%ssource: a joint row names 2..%d requirements, got %u (one source "
                          "is written as a string)",
                          path, CW_MAX_JOINT, n);
    m->source_ids = cw_arena_alloc(a, n * sizeof *m->source_ids);
    if (!m->source_ids)
        return cw_err_set(err, CW_ENOMEM, "%ssource: out of memory", path);
    m->n_sources = n;
    for (uint32_t j = 0; j < n; j++) {
        char f[160];
        FIELD(f, "%ssource[%u]", path, j);
        const msgpack_object *e = &src->via.array.ptr[j];
        int rc;
        if (e->type == MSGPACK_OBJECT_MAP) {
            const char *efw = NULL;
            char fp[176];
            FIELD(fp, "%s.", f);
            if ((rc = in_path(arg_check_keys(e, "framework id", err), fp, err)) ||
                (rc = item_str(e, fp, "framework", false, a, &efw, err)) ||
                (rc = item_str(e, fp, "id", true, a, &m->source_ids[j], err)))
                return rc;
            if (efw && sfw && strcmp(efw, sfw) != 0)
                return cw_err_set(err, CW_EINVAL,
                                  "%s.framework: '%.64s' is not the row's source_framework "
                                  "'%.64s'; a joint row's members are of one framework",
                                  f, efw, sfw);
            continue;
        }
        if ((rc = obj_to_str(e, f, a, &m->source_ids[j], err)))
            return rc;
    }
    return 0;
}

static int h_mapping_load(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                          cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    const msgpack_object_array *ms;
    int rc = arg_array(args, "mappings", true, &ms, err);
    if (rc)
        return rc;
    cw_mapping *m = cw_arena_alloc(a, (ms->size + 1) * sizeof *m);
    if (!m)
        return cw_err_set(err, CW_ENOMEM, "mappings: out of memory");
    for (uint32_t i = 0; i < ms->size; i++) {
        char path[48];
        FIELD(path, "mappings[%u]", i);
        const msgpack_object *o = &ms->ptr[i];
        if ((rc = need_map(o, path, err)))
            return rc;
        FIELD(path, "mappings[%u].", i);
        const char *rel;
        if ((rc = in_path(arg_check_keys(o, MAP_KEYS, err), path, err)) ||
            (rc = item_str(o, path, "source_framework", true, a, &m[i].source_fw, err)) ||
            (rc = decode_sources(o, path, m[i].source_fw, a, &m[i], err)) ||
            (rc = item_str(o, path, "note", false, a, &m[i].note, err)) ||
            (rc = item_str(o, path, "target_framework", true, a, &m[i].target_fw, err)) ||
            (rc = item_str(o, path, "target", true, a, &m[i].target_id, err)) ||
            (rc = item_str(o, path, "relationship", true, a, &rel, err)) ||
            (rc = item_str(o, path, "rationale", false, a, &m[i].rationale, err)) ||
            (rc = item_str(o, path, "origin", true, a, &m[i].origin, err)))
            return rc;
        if (cw_rel_parse(rel, &m[i].rel))
            return cw_err_set(err, CW_EREL,
                              "%srelationship: '%.40s' is not equal, subset_of, superset_of, "
                              "intersects_with or not_related",
                              path, rel);
        const msgpack_object *st = arg_get(o, "strength");
        if (st && st->type != MSGPACK_OBJECT_NIL) {
            if (st->type != MSGPACK_OBJECT_POSITIVE_INTEGER || st->via.u64 < 1 ||
                st->via.u64 > 10)
                return cw_err_set(err, CW_ERANGE, "%sstrength: expected an integer 1..10", path);
            m[i].strength = (int)st->via.u64;
        }
    }
    cw_bulk_stats st;
    if ((rc = cw_mapping_load(s->db, w, m, ms->size, &st, err)))
        return rc;
    pk_stats(pk, &st);
    return 0;
}

static int h_mapping_list(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                          cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    cw_mapping_query q = {0};
    int rc;
    if ((rc = arg_str(args, "framework", true, a, &q.framework, err)) ||
        (rc = arg_str(args, "id", false, a, &q.id, err)) ||
        (rc = arg_str(args, "target_framework", false, a, &q.target_framework, err)) ||
        (rc = opt_hops(args, &q.max_hops, err)))
        return rc;
    cw_mapping_answer ans;
    if ((rc = cw_mapping_list(s->db, &q, a, &ans, err)))
        return rc;
    msgpack_pack_array(pk, ans.n_paths + ans.n_joints);
    for (size_t i = 0; i < ans.n_paths; i++)
        pk_path(pk, &ans.paths[i]);
    for (size_t i = 0; i < ans.n_joints; i++) {
        const cw_joint_listing *l = &ans.joints[i];
        msgpack_pack_map(pk, l->from.id ? 4 : 3);
        pk_kv_str(pk, "via", "joint");
        pk_kv_str(pk, "role", l->role);
        if (l->from.id) {
            pk_key(pk, "from");
            pk_ref(pk, &l->from);
        }
        pk_key(pk, "row");
        pk_row(pk, &l->row);
    }
    return 0;
}

static int h_mapping_delete(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                            cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    cw_mapping_filter f = {0};
    int rc;
    const msgpack_object *src = arg_get(args, "source");
    if (src && src->type == MSGPACK_OBJECT_ARRAY) {
        /* a joint row's set */
        uint32_t n = src->via.array.size;
        if (n < 2 || n > CW_MAX_JOINT)
            return cw_err_set(err, CW_EINVAL,
                              "source: a joint row's set has 2..%d requirements, got %u",
                              CW_MAX_JOINT, n);
        f.sources = cw_arena_alloc(a, n * sizeof *f.sources);
        if (!f.sources)
            return cw_err_set(err, CW_ENOMEM, "source: out of memory");
        f.n_sources = n;
        for (uint32_t j = 0; j < n; j++) {
            char fld[32];
            FIELD(fld, "source[%u]", j);
            if ((rc = obj_to_str(&src->via.array.ptr[j], fld, a, &f.sources[j], err)) ||
                (rc = check_filter(fld, f.sources[j], CW_MAX_ID, err)))
                return rc;
        }
    } else if ((rc = arg_filter(args, "source", CW_MAX_ID, a, &f.source_id, err))) {
        return rc;
    }
    if ((rc = arg_filter(args, "source_framework", CW_MAX_SLUG, a, &f.source_fw, err)) ||
        (rc = arg_filter(args, "target_framework", CW_MAX_SLUG, a, &f.target_fw, err)) ||
        (rc = arg_filter(args, "target", CW_MAX_ID, a, &f.target_id, err)) ||
        (rc = arg_filter(args, "origin", CW_MAX_ORIGIN, a, &f.origin, err)) ||
        (rc = arg_filter(args, "framework", CW_MAX_SLUG, a, &f.framework, err)))
        return rc;
    cw_bulk_stats st;
    if ((rc = cw_mapping_delete(s->db, w, &f, &st, err)))
        return rc;
    pk_stats(pk, &st);
    return 0;
}

static int h_mapping_export(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                            cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    const char *fw, *tfw;
    cw_mapping *m;
    size_t n;
    int rc;
    if ((rc = arg_str(args, "framework", true, a, &fw, err)) ||
        (rc = arg_str(args, "target_framework", false, a, &tfw, err)) ||
        (rc = cw_mapping_rows(s->db, fw, tfw, a, &m, &n, err)))
        return rc;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_row(pk, &m[i]);
    return 0;
}

static int h_mapping_check(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                           cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    const char *fw;
    cw_finding *fs;
    size_t n;
    int rc;
    if ((rc = arg_str(args, "framework", false, a, &fw, err)) ||
        (rc = cw_mapping_check(s->db, fw, a, &fs, &n, err)))
        return rc;
    msgpack_pack_map(pk, 2);
    pk_kv_int(pk, "count", (int64_t)n);
    pk_key(pk, "findings");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(pk, 4);
        pk_kv_str(pk, "kind", fs[i].kind);
        pk_key(pk, "a");
        pk_ref(pk, &fs[i].a);
        pk_key(pk, "b");
        pk_ref(pk, &fs[i].b);
        pk_kv_str(pk, "detail", fs[i].detail);
    }
    return 0;
}

/* ---- organisations ---- */

static int h_org_put(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                     cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    cw_org o;
    bool created;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &o.slug, err)) ||
        (rc = arg_str(args, "name", false, a, &o.name, err)) ||
        (rc = cw_org_put(s->db, w, &o, &created, err)))
        return rc;
    msgpack_pack_map(pk, 2);
    pk_kv_str(pk, "org", o.slug);
    pk_kv_bool(pk, "created", created);
    return 0;
}

static int h_org_get(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                     cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    const char *slug;
    cw_org o;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &slug, err)) ||
        (rc = cw_org_get(s->db, slug, a, &o, err)))
        return rc;
    msgpack_pack_map(pk, 2);
    pk_kv_str(pk, "org", o.slug);
    pk_kv_str(pk, "name", o.name);
    return 0;
}

static int h_org_list(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                      cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)args, (void)w;
    cw_org *o;
    size_t n;
    int rc = cw_org_list(s->db, a, &o, &n, err);
    if (rc)
        return rc;
    /* An org-scoped token sees only its own organisation. */
    bool all = !s->auth_required || c->role == ROLE_ADMIN;
    size_t shown = 0;
    for (size_t i = 0; i < n; i++)
        shown += all || strcmp(o[i].slug, c->org) == 0;
    msgpack_pack_array(pk, shown);
    for (size_t i = 0; i < n; i++) {
        if (!all && strcmp(o[i].slug, c->org) != 0)
            continue;
        msgpack_pack_map(pk, 2);
        pk_kv_str(pk, "org", o[i].slug);
        pk_kv_str(pk, "name", o[i].name);
    }
    return 0;
}

static int h_org_delete(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                        cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    const char *slug;
    cw_bulk_stats st;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &slug, err)) ||
        (rc = cw_org_delete(s->db, w, slug, &st, err)))
        return rc;
    pk_stats(pk, &st);
    return 0;
}

/* ---- controls ---- */

static int decode_control(const msgpack_object *m, const char *org, const char *path,
                          cw_arena *a, cw_control *out, cw_err *err)
{
    int rc;
    const char *status = NULL;
    memset(out, 0, sizeof *out);
    out->org = org;
    out->status = CW_CTL_IMPLEMENTED;
    if ((rc = item_str(m, path, "id", true, a, &out->id, err)) ||
        (rc = item_str(m, path, "title", false, a, &out->title, err)) ||
        (rc = item_str(m, path, "owner", false, a, &out->owner, err)) ||
        (rc = item_str(m, path, "status", false, a, &status, err)))
        return rc;
    if (status && cw_ctl_status_parse(status, &out->status))
        return cw_err_set(err, CW_EINVAL,
                          "%sstatus: '%.40s' is not implemented, planned or not_implemented", path,
                          status);
    const msgpack_object *l = arg_get(m, "links");
    if (!l || l->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (l->type != MSGPACK_OBJECT_ARRAY)
        return cw_err_set(err, CW_EINVAL, "%slinks: expected an array", path);
    out->n_links = l->via.array.size;
    out->links = cw_arena_alloc(a, (out->n_links + 1) * sizeof *out->links);
    if (!out->links)
        return cw_err_set(err, CW_ENOMEM, "%slinks: out of memory", path);
    for (uint32_t j = 0; j < l->via.array.size; j++) {
        char lp[96];
        FIELD(lp, "%slinks[%u]", path, j);
        const msgpack_object *e = &l->via.array.ptr[j];
        if ((rc = need_map(e, lp, err)))
            return rc;
        if ((rc = arg_check_keys(e, "framework id level", err)))
            return in_path(rc, (FIELD(lp, "%slinks[%u].", path, j), lp), err);
        FIELD(lp, "%slinks[%u].", path, j);
        const char *level = NULL;
        if ((rc = item_str(e, lp, "framework", true, a, &out->links[j].framework, err)) ||
            (rc = item_str(e, lp, "id", true, a, &out->links[j].id, err)) ||
            (rc = item_str(e, lp, "level", false, a, &level, err)))
            return rc;
        out->links[j].level = CW_LEVEL_FULL;
        if (level && cw_level_parse(level, &out->links[j].level))
            return cw_err_set(err, CW_EINVAL, "%slevel: '%.40s' is not full or partial", lp,
                              level);
    }
    return 0;
}

/* Single item ({org, id, ...}) or bulk ({org, <list_key>: [...]}). */
static int items_of(const msgpack_object *args, const char *list_key,
                    const msgpack_object **items, size_t *n, bool *bulk, cw_err *err)
{
    const msgpack_object *l = arg_get(args, list_key);
    if (l && l->type != MSGPACK_OBJECT_NIL) {
        if (l->type != MSGPACK_OBJECT_ARRAY)
            return cw_err_set(err, CW_EINVAL, "%s: expected an array", list_key);
        /* A single item's fields beside the list would be dropped without
         * a word; the dispatcher has already checked that keys are
         * strings. */
        for (uint32_t i = 0; i < args->via.map.size; i++) {
            const msgpack_object *k = &args->via.map.ptr[i].key;
            const char *p = k->type == MSGPACK_OBJECT_STR ? k->via.str.ptr : k->via.bin.ptr;
            uint32_t kn = k->type == MSGPACK_OBJECT_STR ? k->via.str.size : k->via.bin.size;
            const msgpack_object *v = &args->via.map.ptr[i].val;
            bool known = (kn == 3 && memcmp(p, "org", 3) == 0) ||
                         (kn == strlen(list_key) && memcmp(p, list_key, kn) == 0);
            if (!known && v->type != MSGPACK_OBJECT_NIL)
                return cw_err_set(err, CW_EINVAL,
                                  "%.*s: not allowed beside %s (give one item's fields or a "
                                  "list of items)",
                                  (int)(kn > 60 ? 60 : kn), p, list_key);
        }
        *items = l->via.array.ptr;
        *n = l->via.array.size;
        *bulk = true;
        return 0;
    }
    *items = args;
    *n = 1;
    *bulk = false;
    return 0;
}

/* Decodes the single item or the bulk list of an org-scoped write into an
 * arena array of elem-sized structs, naming fields "controls[3].id" in bulk
 * and plain "id" for a single item. */
typedef int (*item_decoder)(const msgpack_object *m, const char *org, const char *path,
                            cw_arena *a, void *out, cw_err *err);

/* item_keys: the fields a bulk item may have; any other is refused so a
 * misspelt field does not pass silently (a single item's fields are the
 * call's arguments and checked with them). */
static int decode_batch(const msgpack_object *args, const char *list_key, const char *item_keys,
                        size_t elem, item_decoder fn, cw_arena *a, const char **org, void **out,
                        size_t *n, bool *bulk, cw_err *err)
{
    const msgpack_object *items = NULL;
    int rc;
    *n = 0;
    *bulk = false;
    /* The engine checks org per item and would name it "items[0].org";
     * it is one argument, so it is checked (and named) once here. */
    if ((rc = arg_str(args, "org", true, a, org, err)) ||
        (rc = check_filter("org", *org, CW_MAX_SLUG, err)) ||
        (rc = items_of(args, list_key, &items, n, bulk, err)))
        return rc;
    char *arr = cw_arena_alloc(a, (*n + 1) * elem);
    if (!arr)
        return cw_err_set(err, CW_ENOMEM, "%s: out of memory", list_key);
    for (size_t i = 0; i < *n; i++) {
        char path[48];
        if (*bulk && items[i].type != MSGPACK_OBJECT_MAP) {
            FIELD(path, "%s[%zu]", list_key, i);
            return need_map(&items[i], path, err);
        }
        if ((*bulk && (rc = arg_check_keys(&items[i], item_keys, err))) ||
            (rc = fn(&items[i], *org, "", a, arr + i * elem, err))) {
            if (*bulk)
                FIELD(path, "%s[%zu].", list_key, i);
            return in_path(rc, *bulk ? path : "", err);
        }
    }
    *out = arr;
    return 0;
}

/* The engine names fields as in a batch; a single item's error reads
 * better without the "items[0]." prefix. */
static int single_error(int rc, bool bulk, const char *list_key, cw_err *err)
{
    char pre[32];
    size_t pl = (size_t)snprintf(pre, sizeof pre, "%s[0].", list_key);
    if (rc && !bulk && strncmp(err->msg, pre, pl) == 0)
        memmove(err->msg, err->msg + pl, strlen(err->msg + pl) + 1);
    return rc;
}

static int control_decoder(const msgpack_object *m, const char *org, const char *path,
                           cw_arena *a, void *out, cw_err *err)
{
    return decode_control(m, org, path, a, out, err);
}

static int h_control_put(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                         cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    const char *org;
    void *ctl;
    size_t n;
    bool bulk;
    cw_bulk_stats st;
    int rc = decode_batch(args, "controls", "id title owner status links", sizeof(cw_control), control_decoder, a, &org, &ctl,
                          &n, &bulk, err);
    if (rc || (rc = single_error(cw_control_put(s->db, w, ctl, n, &st, err), bulk, "controls",
                                 err)))
        return rc;
    pk_stats(pk, &st);
    return 0;
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

static int h_control_get(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                         cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    const char *org, *id;
    cw_time t = cw_now();
    cw_control ctl;
    cw_control_state st;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &org, err)) ||
        (rc = arg_str(args, "id", true, a, &id, err)) ||
        (rc = arg_time(args, "as_of", false, &t, err)) ||
        (rc = cw_control_get(s->db, org, id, a, &ctl, err)) ||
        (rc = cw_control_state_get(s->db, org, id, t, a, &st, err)))
        return rc;
    pk_control(pk, &ctl, &st);
    return 0;
}

static int h_control_list(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                          cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    const char *org;
    cw_control *ctl;
    size_t n;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &org, err)) ||
        (rc = cw_control_list(s->db, org, a, &ctl, &n, err)))
        return rc;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_control(pk, &ctl[i], NULL);
    return 0;
}

static int h_control_delete(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                            cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    const char *org, *id;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &org, err)) ||
        (rc = arg_str(args, "id", true, a, &id, err)) ||
        (rc = cw_control_delete(s->db, w, org, id, err)))
        return rc;
    msgpack_pack_map(pk, 1);
    pk_kv_int(pk, "deleted", 1);
    return 0;
}

/* ---- evidence ---- */

static int decode_evidence(const msgpack_object *m, const char *org, const char *path,
                           cw_arena *a, cw_evidence *e, cw_err *err)
{
    int rc;
    memset(e, 0, sizeof *e);
    e->org = org;
    const char *result;
    if ((rc = item_str(m, path, "id", true, a, &e->id, err)) ||
        (rc = item_str(m, path, "kind", false, a, &e->kind, err)) ||
        (rc = item_str(m, path, "title", false, a, &e->title, err)) ||
        (rc = item_str(m, path, "source", false, a, &e->source, err)) ||
        (rc = item_str(m, path, "uri", false, a, &e->uri, err)) ||
        (rc = item_str(m, path, "sha256", false, a, &e->sha256, err)) ||
        (rc = item_str(m, path, "result", true, a, &result, err)))
        return rc;
    if (cw_result_parse(result, &e->result))
        return cw_err_set(err, CW_EINVAL, "%sresult: '%.40s' is not pass, fail or unknown", path,
                          result);
    const msgpack_object *o = arg_get(m, "collected_at");
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        return in_path(cw_err_set(err, CW_EINVAL, "collected_at: missing"), path, err);
    if ((rc = obj_to_time(o, "collected_at", &e->collected_at, err)))
        return in_path(rc, path, err);
    o = arg_get(m, "valid_until");
    if (o && o->type != MSGPACK_OBJECT_NIL) {
        if ((rc = obj_to_time(o, "valid_until", &e->valid_until, err)))
            return in_path(rc, path, err);
        e->has_valid_until = true;
    }
    o = arg_get(m, "controls");
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        return in_path(cw_err_set(err, CW_EINVAL, "controls: missing"), path, err);
    if (o->type == MSGPACK_OBJECT_STR) {
        e->n_controls = 1;
        e->controls = cw_arena_alloc(a, sizeof(char *));
        return in_path(obj_to_str(o, "controls", a, &e->controls[0], err), path, err);
    }
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return in_path(cw_err_set(err, CW_EINVAL, "controls: expected a list of control ids"),
                       path, err);
    e->n_controls = o->via.array.size;
    e->controls = cw_arena_alloc(a, (e->n_controls + 1) * sizeof(char *));
    for (uint32_t j = 0; j < o->via.array.size; j++) {
        if (obj_to_str(&o->via.array.ptr[j], "controls", a, &e->controls[j], err)) {
            char fj[112];
            FIELD(fj, "%scontrols[%u]", path, j);
            return obj_to_str(&o->via.array.ptr[j], fj, a, &e->controls[j], err);
        }
    }
    return 0;
}

static int evidence_decoder(const msgpack_object *m, const char *org, const char *path,
                            cw_arena *a, void *out, cw_err *err)
{
    return decode_evidence(m, org, path, a, out, err);
}

static int evidence_write(cw_server *s, const msgpack_object *args, bool bulk_only, cw_wtxn *w,
                          cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    const msgpack_object *items = arg_get(args, "items");
    if (bulk_only && (!items || items->type == MSGPACK_OBJECT_NIL)) {
        const char *o;
        int orc = arg_str(args, "org", true, a, &o, err);
        return orc ? orc : cw_err_set(err, CW_EINVAL, "items: missing");
    }
    const char *org;
    void *ev;
    size_t n;
    bool bulk;
    cw_bulk_stats st;
    int rc = decode_batch(args, "items",
                          "id controls kind title source uri sha256 collected_at valid_until result",
                          sizeof(cw_evidence), evidence_decoder, a, &org, &ev, &n,
                          &bulk, err);
    if (rc || (rc = single_error(cw_evidence_put(s->db, w, ev, n, &st, err), bulk, "items", err)))
        return rc;
    pk_stats(pk, &st);
    return 0;
}

static int h_evidence_put(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                          cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    return evidence_write(s, args, false, w, a, pk, err);
}

static int h_evidence_load(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                           cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    return evidence_write(s, args, true, w, a, pk, err);
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

static int h_evidence_get(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                          cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    const char *org, *id;
    cw_evidence e;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &org, err)) ||
        (rc = arg_str(args, "id", true, a, &id, err)) ||
        (rc = cw_evidence_get(s->db, org, id, a, &e, err)))
        return rc;
    pk_evidence(pk, &e);
    return 0;
}

static int h_evidence_list(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                           cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    const char *org, *ctl;
    cw_evidence *e;
    size_t n;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &org, err)) ||
        (rc = arg_str(args, "control", false, a, &ctl, err)) ||
        (rc = cw_evidence_list(s->db, org, ctl, a, &e, &n, err)))
        return rc;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_evidence(pk, &e[i]);
    return 0;
}

static int h_evidence_delete(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                             cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    const char *org, *id;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &org, err)) ||
        (rc = arg_str(args, "id", true, a, &id, err)) ||
        (rc = cw_evidence_delete(s->db, w, org, id, err)))
        return rc;
    msgpack_pack_map(pk, 1);
    pk_kv_int(pk, "deleted", 1);
    return 0;
}

/* ---- scope ---- */

static int scope_decoder(const msgpack_object *m, const char *org, const char *path,
                         cw_arena *a, void *out, cw_err *err)
{
    cw_scope *sc = out;
    int rc;
    sc->org = org;
    sc->applicable = false;
    if ((rc = item_str(m, path, "framework", true, a, &sc->framework, err)) ||
        (rc = item_str(m, path, "id", true, a, &sc->id, err)) ||
        (rc = item_str(m, path, "justification", false, a, &sc->justification, err)))
        return rc;
    const msgpack_object *ap = arg_get(m, "applicable");
    if (ap && ap->type != MSGPACK_OBJECT_NIL) {
        if (ap->type != MSGPACK_OBJECT_BOOLEAN)
            return cw_err_set(err, CW_EINVAL, "%sapplicable: expected a boolean", path);
        sc->applicable = ap->via.boolean;
    }
    return 0;
}

static int h_scope_put(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                       cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    const char *org;
    void *sc;
    size_t n;
    bool bulk;
    cw_bulk_stats st;
    int rc = decode_batch(args, "items", "framework id applicable justification", sizeof(cw_scope), scope_decoder, a, &org, &sc, &n, &bulk,
                          err);
    if (rc || (rc = single_error(cw_scope_put(s->db, w, sc, n, &st, err), bulk, "items", err)))
        return rc;
    pk_stats(pk, &st);
    return 0;
}

static int h_scope_list(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                        cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    const char *org, *fw;
    cw_scope *sc;
    size_t n;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &org, err)) ||
        (rc = arg_str(args, "framework", false, a, &fw, err)) ||
        (rc = cw_scope_list(s->db, org, fw, a, &sc, &n, err)))
        return rc;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(pk, 4);
        pk_kv_str(pk, "framework", sc[i].framework);
        pk_kv_str(pk, "id", sc[i].id);
        pk_kv_bool(pk, "applicable", sc[i].applicable);
        pk_kv_str(pk, "justification", sc[i].justification);
    }
    return 0;
}

static int h_scope_delete(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                          cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c;
    const char *org, *fw, *id;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &org, err)) ||
        (rc = arg_str(args, "framework", true, a, &fw, err)) ||
        (rc = arg_str(args, "id", true, a, &id, err)) ||
        (rc = cw_scope_delete(s->db, w, org, fw, id, err)))
        return rc;
    msgpack_pack_map(pk, 1);
    pk_kv_int(pk, "deleted", 1);
    return 0;
}

/* ---- queries ---- */

static void pk_counts(msgpack_packer *pk, const size_t *counts)
{
    msgpack_pack_map(pk, CW_ST_COUNT);
    for (int i = CW_ST_COUNT - 1; i >= 0; i--)
        pk_kv_int(pk, cw_status_name((cw_status)i), (int64_t)counts[i]);
}

static void pk_contribution(msgpack_packer *pk, const cw_contribution *c);

/* A joint row as evaluated, as coverage detail and compare answer it: the
 * row (its note left to mapping.list, mapping.export and gap reports:
 * detail answers repeat rows for every requirement they reach), what it
 * gives, and each member with its status and the contribution that decided
 * it.  Keys that would be nil (why, lowest) are left out: a detailed
 * answer holds hundreds of members. */
static void pk_member_contribution(msgpack_packer *pk, const cw_contribution *c)
{
    msgpack_pack_map(pk, c->path ? 5 : 4);
    pk_kv_str(pk, "control", c->control);
    pk_kv_str(pk, "state", c->stale ? "stale" : cw_ctl_state_name(c->state));
    pk_kv_str(pk, "via", cw_via_name(c->via));
    if (c->path) {
        pk_key(pk, "path");
        pk_path(pk, c->path);
    }
    pk_key(pk, "evidence");
    pk_strs(pk, c->evidence, c->n_evidence);
}
static void pk_joint_eval(msgpack_packer *pk, const cw_joint_eval *je)
{
    msgpack_pack_map(pk, 5);
    pk_key(pk, "row");
    const cw_mapping *m0 = &je->row;
    /* the target framework is the answer's own; nil fields left out */
    msgpack_pack_map(pk, 5 + (m0->strength != 0) + (m0->rationale != NULL));
    pk_kv_str(pk, "source_framework", m0->source_fw);
    pk_key(pk, "source");
    pk_strs(pk, m0->source_ids, m0->n_sources);
    pk_kv_str(pk, "target", m0->target_id);
    pk_kv_str(pk, "relationship", cw_rel_name(m0->rel));
    if (m0->strength)
        pk_kv_int(pk, "strength", m0->strength);
    if (m0->rationale)
        pk_kv_str(pk, "rationale", m0->rationale);
    pk_kv_str(pk, "origin", m0->origin);
    pk_kv_str(pk, "gives", je->gives_any ? cw_status_name(je->gives) : NULL);
    pk_kv_int(pk, "in_place", (int64_t)je->n_met);
    pk_kv_int(pk, "of", (int64_t)je->n_members);
    pk_key(pk, "members");
    msgpack_pack_array(pk, je->n_members);
    for (size_t i = 0; i < je->n_members; i++) {
        const cw_joint_member *m = &je->members[i];
        msgpack_pack_map(pk, 3 + (m->why != NULL) + (m->lowest != NULL));
        pk_kv_str(pk, "id", m->ref.id);
        pk_kv_str(pk, "status", cw_status_name(m->status));
        if (m->why)
            pk_kv_str(pk, "why", m->why);
        if (m->lowest)
            pk_kv_str(pk, "lowest", m->lowest);
        pk_key(pk, "contribution");
        if (m->contribution)
            pk_member_contribution(pk, m->contribution);
        else
            msgpack_pack_nil(pk);
    }
}

/* An ordinary contribution names its control, link, path and evidence; a
 * joint one has none of its own (its members carry them) and names its row
 * and members under "joint".  Detailed answers hold a thousand
 * contributions, so keys that would only say nil are left out where the
 * protocol marks them optional. */
static void pk_contribution(msgpack_packer *pk, const cw_contribution *c)
{
    bool joint = c->via == CW_VIA_JOINT;
    size_t n = (c->reached_group != NULL) + 2;
    if (joint) {
        msgpack_pack_map(pk, n + 2);
        pk_kv_str(pk, "level", cw_level_name(c->level));
        pk_kv_str(pk, "via", cw_via_name(c->via));
        if (c->reached_group)
            pk_kv_str(pk, "reached_group", c->reached_group);
        pk_kv_str(pk, "gives", cw_status_name(c->gives));
        pk_key(pk, "joint");
        pk_joint_eval(pk, c->joint);
        return;
    }
    /* A path that starts at the linked requirement itself already names
     * the link (only full links start paths), so the link is given only
     * when it says something the path does not: direct and group
     * contributions, and paths started under a linked group. */
    bool link = !(c->path && c->link.framework && c->link.id &&
                  strcmp(c->path->from.framework, c->link.framework) == 0 &&
                  strcmp(c->path->from.id, c->link.id) == 0);
    msgpack_pack_map(pk, n + 5);
    pk_kv_str(pk, "control", c->control);
    pk_kv_str(pk, "state", c->stale ? "stale" : cw_ctl_state_name(c->state));
    pk_kv_str(pk, "level", cw_level_name(c->level));
    pk_kv_str(pk, "via", cw_via_name(c->via));
    pk_key(pk, "link");
    if (link) {
        msgpack_pack_map(pk, 3);
        pk_kv_str(pk, "framework", c->link.framework);
        pk_kv_str(pk, "id", c->link.id);
        pk_kv_str(pk, "level", cw_level_name(c->link.level));
    } else {
        msgpack_pack_nil(pk);
    }
    pk_key(pk, "path");
    pk_path(pk, c->path);
    if (c->reached_group)
        pk_kv_str(pk, "reached_group", c->reached_group);
    pk_key(pk, "evidence");
    pk_strs(pk, c->evidence, c->n_evidence);
}

/* Everything in a coverage answer after the fields that echo the query. */
static void pk_coverage_body(msgpack_packer *pk, const cw_coverage *cv, bool detail)
{
    pk_kv_int(pk, "max_hops", cv->max_hops);
    pk_kv_int(pk, "assessable", (int64_t)cv->assessable);
    pk_key(pk, "counts");
    pk_counts(pk, cv->counts);
    pk_kv_double(pk, "percent", cv->percent);
    pk_key(pk, "groups");
    msgpack_pack_array(pk, cv->n_groups);
    for (size_t i = 0; i < cv->n_groups; i++) {
        const cw_group_summary *g = &cv->groups[i];
        msgpack_pack_map(pk, 6);
        pk_kv_str(pk, "id", g->id);
        pk_kv_str(pk, "title", g->title);
        pk_kv_int(pk, "assessable", (int64_t)g->assessable);
        pk_key(pk, "counts");
        pk_counts(pk, g->counts);
        pk_kv_double(pk, "percent", g->percent);
        pk_key(pk, "partial_group_links");
        pk_strs(pk, g->partial_links, g->n_partial_links);
    }
    if (!detail)
        return;
    pk_key(pk, "requirements");
    msgpack_pack_array(pk, cv->n_reqs);
    for (size_t i = 0; i < cv->n_reqs; i++) {
        const cw_req_status *r = &cv->reqs[i];
        msgpack_pack_map(pk, 7);
        pk_kv_str(pk, "id", r->id);
        pk_kv_str(pk, "title", r->title);
        pk_kv_str(pk, "group", r->group);
        pk_kv_str(pk, "status", cw_status_name(r->status));
        pk_kv_str(pk, "justification", r->justification);
        pk_key(pk, "decided_by");
        if (r->n_contribs && r->status != CW_ST_NOT_APPLICABLE)
            msgpack_pack_int64(pk, (int64_t)r->best);
        else
            msgpack_pack_nil(pk);
        pk_key(pk, "contributions");
        msgpack_pack_array(pk, r->n_contribs);
        for (size_t j = 0; j < r->n_contribs; j++)
            pk_contribution(pk, &r->contribs[j]);
    }
}

/* The render cache: audit tools poll the same coverage again and again, and
 * a detailed answer is hundreds of kilobytes of msgpack whose packing cost
 * far more than computing it once the engine shares answers.  The engine
 * marks a shared answer with an id that identifies its content, so the
 * packed body is kept per id and copied out; a small LRU table bounds it. */
#define RENDER_MAX_BYTES (4u << 20)

static const struct cw_rendered *render_find(cw_server *s, uint64_t id)
{
    for (size_t i = 0; i < RENDER_SLOTS; i++)
        if (s->rendered[i].answer_id == id && s->rendered[i].blob) {
            s->rendered[i].used = ++s->render_tick;
            return &s->rendered[i];
        }
    return NULL;
}

/* Keeps sb's bytes for id (sb stays the caller's); NULL when too large to
 * keep or out of memory. */
static const struct cw_rendered *render_keep(cw_server *s, uint64_t id,
                                             const msgpack_sbuffer *sb)
{
    if (sb->size > RENDER_MAX_BYTES)
        return NULL;
    cw_blob *b = cw_blob_new(sb);
    if (!b)
        return NULL;
    struct cw_rendered *victim = &s->rendered[0];
    for (size_t i = 1; i < RENDER_SLOTS && victim->blob; i++)
        if (!s->rendered[i].blob || s->rendered[i].used < victim->used)
            victim = &s->rendered[i];
    /* a write still sending the old body holds its own reference */
    cw_blob_unref(victim->blob);
    *victim = (struct cw_rendered){id, ++s->render_tick, b};
    return victim;
}

void cw_render_cache_free(cw_server *s)
{
    for (size_t i = 0; i < RENDER_SLOTS; i++) {
        cw_blob_unref(s->rendered[i].blob);
        s->rendered[i] = (struct cw_rendered){0};
    }
    for (size_t i = 0; s->req_rendered && i < REQ_RENDER_SLOTS; i++)
        cw_blob_unref(s->req_rendered[i].blob);
    free(s->req_rendered);
    s->req_rendered = NULL;
}

/* Below this a cached body is copied into the output; above it, sent by
 * reference. */
#define BLOB_SEND_MIN 16384

/* Packs an answer's body through the render cache: a body the engine marked
 * as shared (id nonzero) is packed once and then copied, or sent by
 * reference when large. */
typedef void (*body_fn)(msgpack_packer *pk, const void *ctx);

static void pk_cached_body(cw_server *s, cw_conn *c, msgpack_packer *pk, uint64_t id,
                           body_fn fn, const void *ctx)
{
    if (!id) {
        fn(pk, ctx);
        return;
    }
    const struct cw_rendered *r = render_find(s, id);
    if (!r) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer bpk;
        msgpack_packer_init(&bpk, &sb, msgpack_sbuffer_write);
        fn(&bpk, ctx);
        r = render_keep(s, id, &sb);
        if (!r) { /* too large to keep, or out of memory */
            pk->callback(pk->data, sb.data, sb.size);
            msgpack_sbuffer_destroy(&sb);
            return;
        }
        msgpack_sbuffer_destroy(&sb);
    }
    /* The body is the answer's last element, so nothing after this can
     * need rolling back. */
    if (r->blob->len < BLOB_SEND_MIN || cw_conn_send_blob(c, r->blob) != 0)
        pk->callback(pk->data, r->blob->data, r->blob->len);
}

struct cov_body {
    const cw_coverage *cv;
    bool detail;
};

static void cov_body(msgpack_packer *pk, const void *ctx)
{
    const struct cov_body *b = ctx;
    pk_coverage_body(pk, b->cv, b->detail);
}

static int h_coverage_get(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                          cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)w;
    cw_coverage_query q = {.as_of = cw_now()};
    cw_coverage cv;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &q.org, err)) ||
        (rc = arg_str(args, "framework", true, a, &q.framework, err)) ||
        (rc = arg_time(args, "as_of", false, &q.as_of, err)) ||
        (rc = opt_hops(args, &q.max_hops, err)) ||
        (rc = arg_bool(args, "detail", &q.detail, err)) ||
        (rc = cw_coverage_get(s->db, &q, a, &cv, err)))
        return rc;
    msgpack_pack_map(pk, q.detail ? 9 : 8);
    pk_kv_str(pk, "org", cv.org);
    pk_kv_str(pk, "framework", cv.framework);
    pk_kv_time(pk, "as_of", cv.as_of);
    struct cov_body b = {&cv, q.detail};
    pk_cached_body(s, c, pk, cv.answer_id, cov_body, &b);
    return 0;
}

static void gap_body(msgpack_packer *pk, const void *ctx);

static int h_gap_report(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                        cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)w;
    cw_gap_query q = {.as_of = cw_now()};
    cw_gap_report r;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &q.org, err)) ||
        (rc = arg_str(args, "target", true, a, &q.target, err)) ||
        (rc = arg_str(args, "source", false, a, &q.source, err)) ||
        (rc = arg_time(args, "as_of", false, &q.as_of, err)) ||
        (rc = opt_hops(args, &q.max_hops, err)) ||
        (rc = cw_gap_report_get(s->db, &q, a, &r, err)))
        return rc;
    msgpack_pack_map(pk, 11);
    pk_kv_str(pk, "org", r.org);
    pk_kv_str(pk, "target", r.target);
    pk_kv_str(pk, "source", r.source);
    pk_kv_time(pk, "as_of", r.as_of);
    pk_cached_body(s, c, pk, r.answer_id, gap_body, &r);
    return 0;
}

/* Everything in a gap report after the fields that echo the query. */
static void gap_body(msgpack_packer *pk, const void *ctx)
{
    const cw_gap_report r = *(const cw_gap_report *)ctx;
    pk_kv_int(pk, "max_hops", r.max_hops);
    pk_kv_int(pk, "assessable", (int64_t)r.assessable);
    pk_key(pk, "counts");
    pk_counts(pk, r.counts);
    pk_kv_double(pk, "percent", r.percent);
    pk_key(pk, "gaps");
    msgpack_pack_array(pk, r.n_gaps);
    for (size_t i = 0; i < r.n_gaps; i++) {
        const cw_gap_item *g = &r.gaps[i];
        msgpack_pack_map(pk, 7);
        pk_kv_str(pk, "id", g->id);
        pk_kv_str(pk, "title", g->title);
        pk_kv_str(pk, "group", g->group);
        pk_kv_str(pk, "status", cw_status_name(g->status));
        pk_key(pk, "candidates");
        msgpack_pack_array(pk, g->n_cands);
        for (size_t j = 0; j < g->n_cands; j++) {
            const cw_gap_candidate *cd = &g->cands[j];
            msgpack_pack_map(pk, 6);
            pk_kv_str(pk, "framework", cd->ref.framework);
            pk_kv_str(pk, "id", cd->ref.id);
            pk_kv_str(pk, "title", cd->title);
            pk_kv_str(pk, "gives", cw_level_name(cd->gives));
            pk_kv_bool(pk, "covered", cd->covered);
            pk_key(pk, "path");
            pk_path(pk, cd->path);
        }
        pk_key(pk, "controls");
        msgpack_pack_array(pk, g->n_controls);
        for (size_t j = 0; j < g->n_controls; j++) {
            const cw_gap_control *gc = &g->controls[j];
            msgpack_pack_map(pk, 6);
            pk_kv_str(pk, "control", gc->control);
            pk_kv_str(pk, "status", cw_ctl_status_name(gc->status));
            pk_kv_str(pk, "state", cw_ctl_state_name(gc->state));
            pk_kv_str(pk, "level", cw_level_name(gc->level));
            pk_kv_str(pk, "via", cw_via_name(gc->via));
            pk_kv_str(pk, "link", gc->link.id);
        }
        /* joint rows to it (or a group above it): what is in place and
         * which members are still missing */
        pk_key(pk, "joints");
        msgpack_pack_array(pk, g->n_joints);
        for (size_t j = 0; j < g->n_joints; j++) {
            const cw_joint_eval *je = g->joints[j];
            msgpack_pack_map(pk, 6);
            pk_key(pk, "row");
            pk_row(pk, &je->row);
            pk_kv_str(pk, "gives", je->gives_any ? cw_status_name(je->gives) : NULL);
            pk_kv_int(pk, "in_place", (int64_t)je->n_met);
            pk_kv_int(pk, "of", (int64_t)je->n_members);
            size_t nmiss = je->n_members - je->n_met;
            pk_key(pk, "missing");
            msgpack_pack_array(pk, nmiss);
            for (size_t k = 0; k < je->n_members; k++)
                if (je->members[k].status != CW_ST_MET)
                    pk_str(pk, je->members[k].ref.id);
            pk_key(pk, "members");
            msgpack_pack_array(pk, je->n_members);
            for (size_t k = 0; k < je->n_members; k++) {
                const cw_joint_member *m = &je->members[k];
                msgpack_pack_map(pk, 5);
                pk_kv_str(pk, "id", m->ref.id);
                pk_kv_str(pk, "title", m->title);
                pk_kv_str(pk, "status", cw_status_name(m->status));
                pk_kv_str(pk, "why", m->why);
                pk_kv_str(pk, "lowest", m->lowest);
            }
        }
    }
    pk_key(pk, "plan");
    msgpack_pack_array(pk, r.n_plan);
    for (size_t i = 0; i < r.n_plan; i++) {
        const cw_plan_step *p = &r.plan[i];
        msgpack_pack_map(pk, 7);
        pk_kv_int(pk, "rank", (int64_t)i + 1);
        pk_kv_str(pk, "framework", p->ref.framework);
        pk_kv_str(pk, "id", p->ref.id);
        pk_kv_str(pk, "title", p->title);
        pk_key(pk, "adds");
        msgpack_pack_array(pk, p->n_adds);
        for (size_t j = 0; j < p->n_adds; j++) {
            msgpack_pack_map(pk, 3);
            pk_kv_str(pk, "framework", p->adds[j].framework);
            pk_kv_str(pk, "id", p->adds[j].id);
            pk_kv_str(pk, "title", p->add_titles[j]);
        }
        pk_key(pk, "joint");
        if (p->joint)
            pk_row(pk, &p->joint->row);
        else
            msgpack_pack_nil(pk);
        pk_key(pk, "closes");
        pk_strs(pk, p->closes, p->n_closes);
    }
    pk_kv_int(pk, "closable", (int64_t)r.closable);
}

static void compare_body(msgpack_packer *pk, const void *ctx);

static int h_framework_compare(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                               cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)w;
    cw_compare_query q = {0};
    cw_compare r;
    int rc;
    if ((rc = arg_str(args, "source", true, a, &q.source, err)) ||
        (rc = arg_str(args, "target", true, a, &q.target, err)) ||
        (rc = opt_hops(args, &q.max_hops, err)) ||
        (rc = cw_framework_compare(s->db, &q, a, &r, err)))
        return rc;
    pk_cached_body(s, c, pk, r.answer_id, compare_body, &r);
    return 0;
}

/* A compare answer; it echoes nothing that is not part of its id. */
static void compare_body(msgpack_packer *pk, const void *ctx)
{
    const cw_compare r = *(const cw_compare *)ctx;
    msgpack_pack_map(pk, 8);
    pk_kv_str(pk, "source", r.source);
    pk_kv_str(pk, "target", r.target);
    pk_kv_int(pk, "max_hops", r.max_hops);
    pk_kv_int(pk, "assessable", (int64_t)r.assessable);
    pk_kv_int(pk, "full", (int64_t)r.full);
    pk_kv_int(pk, "partial", (int64_t)r.partial);
    pk_kv_int(pk, "unreached", (int64_t)r.unreached);
    pk_key(pk, "requirements");
    msgpack_pack_array(pk, r.n_items);
    for (size_t i = 0; i < r.n_items; i++) {
        const cw_compare_item *it = &r.items[i];
        msgpack_pack_map(pk, 7);
        pk_kv_str(pk, "id", it->id);
        pk_kv_str(pk, "title", it->title);
        pk_kv_str(pk, "group", it->group);
        pk_kv_str(pk, "level", it->level == CW_LEVEL_NONE ? "unreached" : cw_level_name(it->level));
        pk_kv_int(pk, "paths_total", (int64_t)it->n_paths_total);
        pk_key(pk, "paths");
        msgpack_pack_array(pk, it->n_paths);
        for (size_t j = 0; j < it->n_paths; j++)
            pk_path(pk, it->paths[j]);
        pk_key(pk, "joints");
        msgpack_pack_array(pk, it->n_joints);
        for (size_t j = 0; j < it->n_joints; j++)
            pk_joint_eval(pk, it->joints[j]);
    }
}

static int h_soa_get(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                     cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w;
    const char *org;
    cw_time t = cw_now();
    cw_soa r;
    int rc;
    if ((rc = arg_str(args, "org", true, a, &org, err)) ||
        (rc = arg_time(args, "as_of", false, &t, err)) ||
        (rc = cw_soa_get(s->db, org, t, a, &r, err)))
        return rc;
    msgpack_pack_map(pk, 6);
    pk_kv_str(pk, "org", r.org);
    pk_kv_time(pk, "as_of", r.as_of);
    pk_kv_int(pk, "applicable", (int64_t)r.applicable);
    pk_kv_int(pk, "excluded", (int64_t)r.excluded);
    pk_kv_int(pk, "implemented", (int64_t)r.implemented);
    pk_key(pk, "controls");
    msgpack_pack_array(pk, r.n_items);
    for (size_t i = 0; i < r.n_items; i++) {
        const cw_soa_item *it = &r.items[i];
        msgpack_pack_map(pk, 9);
        pk_kv_str(pk, "id", it->id);
        pk_kv_str(pk, "title", it->title);
        pk_kv_str(pk, "theme", it->theme);
        pk_kv_bool(pk, "applicable", it->applicable);
        pk_kv_str(pk, "justification", it->justification);
        pk_kv_str(pk, "status", cw_status_name(it->status));
        pk_kv_str(pk, "implementation", it->implementation);
        pk_key(pk, "implementing_controls");
        pk_strs(pk, it->controls, it->n_controls);
        pk_key(pk, "evidence");
        pk_strs(pk, it->evidence, it->n_evidence);
    }
    return 0;
}

static int h_store_check(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                         cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)args, (void)w, (void)a;
    size_t problems;
    cw_err detail = {0};
    int rc = cw_db_check(s->db, &problems, &detail);
    if (rc)
        return cw_err_set(err, rc, "%s", detail.msg);
    msgpack_pack_map(pk, 3);
    pk_kv_bool(pk, "consistent", problems == 0);
    pk_kv_int(pk, "problems", (int64_t)problems);
    pk_kv_str(pk, "first", problems ? detail.msg : NULL);
    return 0;
}

/* Raising the cap at run time is how an operator recovers from storage_full
 * without a restart: the next write that meets MDB_MAP_FULL grows into the
 * new room.  The cap never shrinks here, since the map may already be larger. */
static int h_store_set_map_max(cw_server *s, cw_conn *c, const msgpack_object *args,
                               cw_wtxn *w, cw_arena *a, msgpack_packer *pk, cw_err *err)
{
    (void)c, (void)w, (void)a;
    int64_t bytes;
    int rc = arg_int(args, "bytes", true, 1, INT64_MAX, &bytes, err);
    if (rc)
        return rc;
    cw_db_counts n;
    if ((rc = cw_db_counts_get(s->db, &n, err)))
        return rc;
    if ((uint64_t)bytes < n.map_size_max)
        return cw_err_set(err, CW_ERANGE,
                          "bytes: %lld is below the current cap of %zu; the cap only grows",
                          (long long)bytes, n.map_size_max);
    cw_db_set_map_max(s->db, (size_t)bytes);
    cw_log(s, LOG_INFO, "map size cap raised to %lld bytes", (long long)bytes);
    msgpack_pack_map(pk, 2);
    pk_kv_int(pk, "map_size", (int64_t)n.map_size);
    pk_kv_int(pk, "map_size_max", bytes);
    return 0;
}

#define R M_READ
#define W M_WRITE
static const cw_method methods[] = {
    {"auth", h_auth, R | M_OPEN, "token"},
    {"catalog.delete", h_catalog_delete, W | M_ADMIN, "framework"},
    {"catalog.load", h_catalog_load, W | M_ADMIN,
     "framework name version publisher licence requirements replace"},
    {"control.delete", h_control_delete, W | M_ORG | M_EDITOR, "org id"},
    {"control.get", h_control_get, R | M_ORG, "org id as_of"},
    {"control.list", h_control_list, R | M_ORG, "org"},
    {"control.put", h_control_put, W | M_ORG | M_EDITOR,
     "org id title owner status links controls"},
    {"coverage.get", h_coverage_get, R | M_ORG, "org framework as_of max_hops detail"},
    {"evidence.delete", h_evidence_delete, W | M_ORG | M_EDITOR, "org id"},
    {"evidence.get", h_evidence_get, R | M_ORG, "org id"},
    {"evidence.list", h_evidence_list, R | M_ORG, "org control"},
    {"evidence.load", h_evidence_load, W | M_ORG | M_EDITOR, "org items"},
    {"evidence.put", h_evidence_put, W | M_ORG | M_EDITOR,
     "org id controls kind title source uri sha256 collected_at valid_until result items"},
    {"framework.compare", h_framework_compare, R, "source target max_hops"},
    {"framework.get", h_framework_get, R, "framework"},
    {"framework.list", h_framework_list, R, ""},
    {"gap.report", h_gap_report, R | M_ORG, "org target source as_of max_hops"},
    {"mapping.check", h_mapping_check, R, "framework"},
    {"mapping.delete", h_mapping_delete, W | M_ADMIN,
     "source_framework source target_framework target origin framework"},
    {"mapping.export", h_mapping_export, R, "framework target_framework"},
    {"mapping.list", h_mapping_list, R, "framework id target_framework max_hops"},
    {"mapping.load", h_mapping_load, W | M_ADMIN, "mappings"},
    {"org.delete", h_org_delete, W | M_ADMIN, "org"},
    {"org.get", h_org_get, R | M_ORG, "org"},
    {"org.list", h_org_list, R, ""},
    {"org.put", h_org_put, W | M_ORG | M_EDITOR, "org name"},
    {"ping", h_ping, R | M_OPEN, ""},
    {"requirement.get", h_requirement_get, R, "framework id"},
    {"requirement.list", h_requirement_list, R,
     "framework parent kind leaves_only assessable_only attribute"},
    {"scope.delete", h_scope_delete, W | M_ORG | M_EDITOR, "org framework id"},
    {"scope.list", h_scope_list, R | M_ORG, "org framework"},
    {"scope.put", h_scope_put, W | M_ORG | M_EDITOR,
     "org framework id applicable justification items"},
    {"server.info", h_server_info, R | M_OPEN, ""},
    {"server.stats", h_server_stats, R, ""},
    {"soa.get", h_soa_get, R | M_ORG, "org as_of"},
    {"store.check", h_store_check, R | M_ADMIN, ""},
    {"store.set_map_max", h_store_set_map_max, R | M_ADMIN, "bytes"},
};
#undef R
#undef W

size_t cw_method_count(void)
{
    return sizeof methods / sizeof methods[0];
}

const cw_method *cw_method_at(size_t i)
{
    return &methods[i];
}

const cw_method *cw_method_find(const char *name, size_t len)
{
    /* Names arrive as length-counted bytes (possibly empty, possibly with
     * NULs): compare them as such. */
    if (!name || len == 0 || len > 64)
        return NULL;
    size_t lo = 0, hi = cw_method_count();
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        size_t ml = strlen(methods[mid].name);
        int c = memcmp(methods[mid].name, name, ml < len ? ml : len);
        if (c == 0 && ml != len)
            c = ml < len ? -1 : 1;
        if (c == 0)
            return &methods[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
