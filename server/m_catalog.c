/* The catalogue and crosswalk methods: frameworks and their requirements
 * (read, loaded, deleted) and crosswalk rows (loaded, listed as paths,
 * exported, deleted, checked).  Arguments arrive decoded and checked
 * (methods.def); handlers call the engine and pack its answer. */
#include "crosswalk/catalog.h"
#include "crosswalk/mapping.h"
#include "pack.h"
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

int cw_h_framework_list(cw_call *k, const cw_args_framework_list *args, msgpack_packer *pk,
                        cw_err *err)
{
    (void)args;
    cw_framework_info *fi;
    size_t n;
    int rc = cw_framework_list(k->db, k->a, &fi, &n, err);
    if (rc == 0)
        PK_LIST(pk, fi, n, pk_framework);
    return rc;
}

int cw_h_framework_get(cw_call *k, const cw_args_framework_get *args, msgpack_packer *pk,
                       cw_err *err)
{
    cw_framework_info fi;
    int rc = cw_framework_get(k->db, args->framework, k->a, &fi, err);
    if (rc)
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

int cw_h_requirement_get(cw_call *k, const cw_args_requirement_get *args, msgpack_packer *pk,
                         cw_err *err)
{
    cw_server *s = k->s;
    const char **kids;
    size_t nk;
    cw_requirement q;
    int rc = cw_requirement_get_at(k->db, args->framework, args->id, args->has_as_of, args->as_of,
                                   k->a, &q, &kids, &nk, err);
    if (rc)
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

int cw_h_requirement_list(cw_call *k, const cw_args_requirement_list *args, msgpack_packer *pk,
                          cw_err *err)
{
    cw_req_filter f = {
        .framework = args->framework,
        .parent = args->parent,
        .kind = args->kind,
        .leaves_only = args->leaves_only,
        .assessable_only = args->assessable_only,
        .attr_key = args->attribute.key,
        .attr_value = args->attribute.value,
        .after = args->cursor,
        .limit = (size_t)args->limit,
        .has_as_of = args->has_as_of,
        .as_of = args->as_of,
    };
    cw_requirement *list;
    size_t n;
    int rc = cw_requirement_list(k->db, &f, k->a, &list, &n, err);
    if (rc)
        return rc;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_requirement(pk, &list[i], NULL, 0, false);
    return 0;
}

/* requirement.search: a match's rank, best first; -1 for none.  Letters
 * compare without case (ASCII: ids and the shipped titles are). */
enum { HIT_ID, HIT_ID_START, HIT_ID_PART, HIT_TITLE, HIT_DESCRIPTION, HIT_KINDS };
static const char *const hit_names[HIT_KINDS] = {"id", "id_start", "id_part", "title",
                                                 "description"};

static int hit_of(const cw_requirement *q, const char *text)
{
    if (strcasecmp(q->id, text) == 0)
        return HIT_ID;
    if (strncasecmp(q->id, text, strlen(text)) == 0)
        return HIT_ID_START;
    if (strcasestr(q->id, text))
        return HIT_ID_PART;
    if (q->title && strcasestr(q->title, text))
        return HIT_TITLE;
    if (q->description && strcasestr(q->description, text))
        return HIT_DESCRIPTION;
    return -1;
}

typedef struct hit {
    const cw_requirement *q;
    int rank;
} hit;

static int hit_cmp(const void *pa, const void *pb)
{
    const hit *a = pa, *b = pb;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    int c = strcmp(a->q->framework, b->q->framework);
    return c ? c : cw_id_cmp(a->q->id, b->q->id);
}

/* Searches the catalogues as the engine lists them: a few thousand
 * requirements, scanned per call (answers are small and callers are
 * people and completions, not audit loops). */
int cw_h_requirement_search(cw_call *k, const cw_args_requirement_search *args, msgpack_packer *pk,
                            cw_err *err)
{
    cw_framework_info *fi = NULL;
    size_t nf = 1;
    int rc;
    if (!args->framework && (rc = cw_framework_list(k->db, k->a, &fi, &nf, err)))
        return rc;
    hit *hits = NULL;
    size_t nh = 0, cap = 0;
    for (size_t f = 0; f < nf; f++) {
        cw_req_filter flt = {.framework = fi ? fi[f].fw.slug : args->framework};
        cw_requirement *list;
        size_t n;
        if ((rc = cw_requirement_list(k->db, &flt, k->a, &list, &n, err)))
            return rc;
        for (size_t i = 0; i < n; i++) {
            int r = hit_of(&list[i], args->text);
            if (r < 0)
                continue;
            if (nh == cap) {
                size_t nc = cap ? cap * 2 : 64;
                hit *grown = cw_arena_alloc(k->a, nc * sizeof *grown);
                if (!grown)
                    return cw_err_set(err, CW_ENOMEM, "text: out of memory");
                if (nh)
                    memcpy(grown, hits, nh * sizeof *hits);
                hits = grown;
                cap = nc;
            }
            hits[nh++] = (hit){&list[i], r};
        }
    }
    if (nh)
        qsort(hits, nh, sizeof *hits, hit_cmp);
    size_t limit = args->has_limit ? (size_t)args->limit : 50;
    size_t shown = nh < limit ? nh : limit;
    msgpack_pack_map(pk, 2);
    pk_kv_int(pk, "count", (int64_t)nh);
    pk_key(pk, "matches");
    msgpack_pack_array(pk, shown);
    for (size_t i = 0; i < shown; i++) {
        const cw_requirement *q = hits[i].q;
        msgpack_pack_map(pk, 7);
        pk_kv_str(pk, "framework", q->framework);
        pk_kv_str(pk, "id", q->id);
        pk_kv_str(pk, "title", q->title);
        pk_kv_str(pk, "kind", q->kind);
        pk_kv_bool(pk, "assessable", q->assessable);
        pk_kv_str(pk, "status", q->withdrawn ? "withdrawn" : "active");
        pk_kv_str(pk, "match", hit_names[hits[i].rank]);
    }
    return 0;
}

static int catalog_write(cw_db *db, cw_wtxn *w, const void *a, cw_bulk_stats *st, cw_err *err)
{
    const cw_args_catalog_load *args = a;
    cw_framework fw = {
        .slug = args->framework,
        .name = args->name,
        .version = args->version,
        .publisher = args->publisher,
        .licence = args->licence,
    };
    return cw_catalog_load(db, w, &fw, args->requirements, args->n_requirements, args->replace, st,
                           err);
}

int cw_h_catalog_load(cw_call *k, const cw_args_catalog_load *args, msgpack_packer *pk, cw_err *err)
{
    return cw_bulk_answer(k, args->dry_run, NULL, NULL, catalog_write, args, pk, err);
}

int cw_h_catalog_delete(cw_call *k, const cw_args_catalog_delete *args, msgpack_packer *pk,
                        cw_err *err)
{
    cw_bulk_stats st;
    return pk_stats_unless(cw_catalog_delete(k->db, k->w, args->framework, &st, err), pk, &st);
}

static int mapping_write(cw_db *db, cw_wtxn *w, const void *a, cw_bulk_stats *st, cw_err *err)
{
    const cw_args_mapping_load *args = a;
    return cw_mapping_load(db, w, args->mappings, args->n_mappings, st, err);
}

int cw_h_mapping_load(cw_call *k, const cw_args_mapping_load *args, msgpack_packer *pk, cw_err *err)
{
    return cw_bulk_answer(k, args->dry_run, args->has_assume ? &args->assume : NULL, NULL,
                          mapping_write, args, pk, err);
}

int cw_h_mapping_list(cw_call *k, const cw_args_mapping_list *args, msgpack_packer *pk, cw_err *err)
{
    cw_mapping_query q = {
        .framework = args->framework,
        .id = args->id,
        .target_framework = args->target_framework,
        .max_hops = args->max_hops,
        .has_as_of = args->has_as_of,
        .as_of = args->as_of,
    };
    cw_mapping_answer ans;
    int rc = cw_mapping_list(k->db, &q, k->a, &ans, err);
    if (rc)
        return rc;
    /* A page is a slice of the rows in the order they are always listed
     * (paths, then joint rows), stable while the catalogue is unchanged. */
    size_t all = ans.n_paths + ans.n_joints;
    size_t skip = args->offset < (int64_t)all ? (size_t)args->offset : all;
    size_t end = args->limit && all - skip > (size_t)args->limit ? skip + (size_t)args->limit : all;
    msgpack_pack_array(pk, end - skip);
    for (size_t i = skip; i < ans.n_paths && i < end; i++)
        pk_path(pk, &ans.paths[i]);
    for (size_t i = skip > ans.n_paths ? skip - ans.n_paths : 0; ans.n_paths + i < end; i++) {
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

int cw_h_mapping_delete(cw_call *k, const cw_args_mapping_delete *args, msgpack_packer *pk,
                        cw_err *err)
{
    cw_mapping_filter f = {
        .source_fw = args->source_framework,
        .source_id = args->source.one,
        .sources = args->source.set,
        .n_sources = args->source.n,
        .target_fw = args->target_framework,
        .target_id = args->target,
        .origin = args->origin,
        .framework = args->framework,
    };
    cw_bulk_stats st;
    return pk_stats_unless(cw_mapping_delete(k->db, k->w, &f, &st, err), pk, &st);
}

int cw_h_mapping_export(cw_call *k, const cw_args_mapping_export *args, msgpack_packer *pk,
                        cw_err *err)
{
    cw_mapping *m;
    size_t n;
    int rc = cw_mapping_rows(k->db, args->framework, args->target_framework, k->a, &m, &n, err);
    if (rc == 0)
        PK_LIST(pk, m, n, pk_row);
    return rc;
}

int cw_h_mapping_check(cw_call *k, const cw_args_mapping_check *args, msgpack_packer *pk,
                       cw_err *err)
{
    cw_finding *fs;
    size_t n;
    int rc = cw_mapping_check(k->db, args->framework, k->a, &fs, &n, err);
    if (rc)
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
