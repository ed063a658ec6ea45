/* The question methods: coverage of a framework for an organisation, the
 * gap report with its plan and how far one framework reaches another (the
 * Statement of Applicability is with the ISMS methods, m_isms.c); and the
 * render cache that keeps their packed bodies, since audit tools ask the same question many times a second and
 * a detailed answer is hundreds of kilobytes. */
#include "crosswalk/history.h"
#include "crosswalk/query.h"
#include "crosswalk/strmap.h"
#include "pack.h"
#include "server.h"

#include <stdlib.h>
#include <string.h>

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
/* A joint row as a coverage answer gives it: the target framework is the
 * answer's own, nil fields left out. */
static void pk_joint_row(msgpack_packer *pk, const cw_mapping *m0)
{
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
}

static void pk_joint_eval(msgpack_packer *pk, const cw_joint_eval *je)
{
    msgpack_pack_map(pk, 5);
    pk_key(pk, "row");
    pk_joint_row(pk, &je->row);
    pk_kv_str(pk, "gives", je->gives_any ? cw_status_name(je->gives) : NULL);
    pk_kv_int(pk, "in_place", (int64_t)je->n_met);
    pk_kv_int(pk, "of", (int64_t)je->n_members);
    pk_key(pk, "members");
    msgpack_pack_array(pk, je->n_members);
    for (size_t i = 0; i < je->n_members; i++) {
        const cw_joint_member *m = &je->members[i];
        msgpack_pack_map(pk, 3 + (m->why != NULL) + (m->lowest != NULL) + (m->finding != NULL));
        pk_kv_str(pk, "id", m->ref.id);
        pk_kv_str(pk, "status", cw_status_name(m->status));
        if (m->why)
            pk_kv_str(pk, "why", m->why);
        if (m->lowest)
            pk_kv_str(pk, "lowest", m->lowest);
        if (m->finding)
            pk_kv_str(pk, "finding", m->finding->id);
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

static void pk_requirements_compact(msgpack_packer *pk, const cw_coverage *cv);

/* A detailed answer's requirement, its map opened and every field but
 * "contributions" packed (the full and the compact form differ only
 * there). */
static void pk_req_head(msgpack_packer *pk, const cw_req_status *r)
{
    msgpack_pack_map(pk, 9);
    pk_kv_str(pk, "id", r->id);
    pk_kv_str(pk, "title", r->title);
    pk_kv_str(pk, "group", r->group);
    pk_kv_str(pk, "status", cw_status_name(r->status));
    pk_kv_str(pk, "justification", r->justification);
    /* an open finding that set the status decides it, not a
     * contribution */
    pk_key(pk, "finding");
    pk_finding_ref(pk, r->finding);
    pk_key(pk, "findings");
    pk_finding_ids(pk, r->findings, r->n_findings);
    pk_key(pk, "decided_by");
    if (r->n_contribs && r->status != CW_ST_NOT_APPLICABLE && !r->finding)
        msgpack_pack_int64(pk, (int64_t)r->best);
    else
        msgpack_pack_nil(pk);
}

/* "requirements" with every contribution in full. */
static void pk_requirements_full(msgpack_packer *pk, const cw_coverage *cv)
{
    pk_key(pk, "requirements");
    msgpack_pack_array(pk, cv->n_reqs);
    for (size_t i = 0; i < cv->n_reqs; i++) {
        const cw_req_status *r = &cv->reqs[i];
        pk_req_head(pk, r);
        pk_key(pk, "contributions");
        msgpack_pack_array(pk, r->n_contribs);
        for (size_t j = 0; j < r->n_contribs; j++)
            pk_contribution(pk, &r->contribs[j]);
    }
}

/* Everything in a coverage answer after the fields that echo the query. */
static void pk_coverage_body(msgpack_packer *pk, const cw_coverage *cv, int detail)
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
    if (detail == CW_DETAIL_NONE)
        return;
    if (detail == CW_DETAIL_COMPACT) {
        pk_requirements_compact(pk, cv);
        return;
    }
    pk_requirements_full(pk, cv);
}

/* ---- detail: "compact" ----
 *
 * A detailed answer repeats the same crosswalk steps, paths and joint rows
 * for every contribution that walks them, and the same key names in every
 * contribution.  The compact form sends each distinct step, path and joint
 * row once, in the tables "steps", "paths" (a path's steps as indices into
 * steps) and "rows", and each contribution as an array whose positions
 * server/PROTOCOL.md gives, naming paths and rows by index.  The
 * requirements are packed first into a buffer of their own (the tables
 * fill as they go) and follow the tables in the answer. */

/* A table of distinct packed values, each packed once into bytes in the
 * order first added and found again by its bytes through an
 * open-addressing table of (hash, offset, length). */
typedef struct dedup {
    msgpack_sbuffer bytes;
    size_t n;
    struct dedup_slot {
        uint64_t hash;
        size_t off, len, index;
        bool used;
    } * slots;
    size_t cap; /* a power of two */
} dedup;

static uint64_t bytes_hash(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    return h;
}

static bool dedup_grow(dedup *d)
{
    size_t ncap = d->cap ? d->cap * 2 : 256;
    struct dedup_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return false;
    for (size_t i = 0; i < d->cap; i++)
        if (d->slots[i].used) {
            size_t j = d->slots[i].hash & (ncap - 1);
            while (ns[j].used)
                j = (j + 1) & (ncap - 1);
            ns[j] = d->slots[i];
        }
    free(d->slots);
    d->slots = ns;
    d->cap = ncap;
    return true;
}

/* The index of the value v (n bytes), added when new; -1 out of memory. */
static int64_t dedup_add(dedup *d, const char *v, size_t n)
{
    if ((d->n + 1) * 2 > d->cap && !dedup_grow(d))
        return -1;
    uint64_t h = bytes_hash(v, n);
    size_t j = h & (d->cap - 1);
    while (d->slots[j].used && !(d->slots[j].hash == h && d->slots[j].len == n &&
                                 memcmp(d->bytes.data + d->slots[j].off, v, n) == 0))
        j = (j + 1) & (d->cap - 1);
    if (d->slots[j].used)
        return (int64_t)d->slots[j].index;
    size_t off = d->bytes.size;
    if (msgpack_sbuffer_write(&d->bytes, v, n) != 0)
        return -1;
    d->slots[j] = (struct dedup_slot){h, off, n, d->n, true};
    return (int64_t)d->n++;
}

/* An sbuffer whose failed writes (out of memory) are remembered, since
 * msgpack's packers report them only to whoever checks each call. */
typedef struct fsbuf {
    msgpack_sbuffer sb;
    bool *failed;
} fsbuf;

static int fsbuf_write(void *data, const char *buf, size_t len)
{
    fsbuf *f = data;
    int rc = msgpack_sbuffer_write(&f->sb, buf, len);
    if (rc)
        *f->failed = true;
    return rc;
}

typedef struct compact_tabs {
    dedup steps, paths, rows;
    fsbuf scratch;
    msgpack_packer spk; /* packs into scratch */
    bool failed;        /* out of memory: the answer falls back to the full form */
} compact_tabs;

/* Adds what scratch holds (packed since it was emptied) to d; its index. */
static int64_t compact_take(compact_tabs *t, dedup *d)
{
    int64_t k = dedup_add(d, t->scratch.sb.data, t->scratch.sb.size);
    t->scratch.sb.size = 0;
    if (k < 0)
        t->failed = true;
    return k < 0 ? 0 : k;
}

/* A path's index in the paths table, each path [from_framework, from_id,
 * steps, composed, strength, inferred] with its steps as indices into the
 * steps table, each step [framework, id, relationship, strength, origin,
 * rationale, note]; nil for no path. */
static void pk_path_index(msgpack_packer *pk, compact_tabs *t, const cw_path *p)
{
    if (!p) {
        msgpack_pack_nil(pk);
        return;
    }
    size_t idx[CW_MAX_HOPS + 1] = {0}, hops = p->hops <= CW_MAX_HOPS ? p->hops : CW_MAX_HOPS;
    for (size_t i = 0; i < hops; i++) {
        const cw_step *st = &p->steps[i];
        msgpack_pack_array(&t->spk, 7);
        pk_str(&t->spk, st->to.framework);
        pk_str(&t->spk, st->to.id);
        pk_str(&t->spk, cw_rel_name(st->rel));
        if (st->strength)
            msgpack_pack_int(&t->spk, st->strength);
        else
            msgpack_pack_nil(&t->spk);
        pk_str(&t->spk, st->origin);
        pk_str(&t->spk, st->rationale);
        pk_str(&t->spk, st->note);
        idx[i] = (size_t)compact_take(t, &t->steps);
    }
    msgpack_pack_array(&t->spk, 6);
    pk_str(&t->spk, p->from.framework);
    pk_str(&t->spk, p->from.id);
    msgpack_pack_array(&t->spk, hops);
    for (size_t i = 0; i < hops; i++)
        msgpack_pack_uint64(&t->spk, idx[i]);
    pk_str(&t->spk, cw_rel_name(p->composed));
    if (p->strength)
        msgpack_pack_int(&t->spk, p->strength);
    else
        msgpack_pack_nil(&t->spk);
    if (p->inferred)
        msgpack_pack_true(&t->spk);
    else
        msgpack_pack_false(&t->spk);
    msgpack_pack_uint64(pk, (uint64_t)compact_take(t, &t->paths));
}

static void pk_joint_row(msgpack_packer *pk, const cw_mapping *m0);

/* [via, control, state, level, link, path, evidence, reached_group] or,
 * for a joint contribution, ["joint", level, reached_group, gives, row,
 * row_gives, in_place, of, members], each member [id, status, why, lowest,
 * contribution], a member's contribution [control, state, via, path,
 * evidence] or nil. */
static void pk_contribution_compact(msgpack_packer *pk, compact_tabs *t, const cw_contribution *c)
{
    if (c->via == CW_VIA_JOINT) {
        const cw_joint_eval *je = c->joint;
        msgpack_pack_array(pk, 9);
        pk_str(pk, cw_via_name(c->via));
        pk_str(pk, cw_level_name(c->level));
        pk_str(pk, c->reached_group);
        pk_str(pk, cw_status_name(c->gives));
        pk_joint_row(&t->spk, &je->row);
        msgpack_pack_uint64(pk, (uint64_t)compact_take(t, &t->rows));
        pk_str(pk, je->gives_any ? cw_status_name(je->gives) : NULL);
        msgpack_pack_uint64(pk, je->n_met);
        msgpack_pack_uint64(pk, je->n_members);
        msgpack_pack_array(pk, je->n_members);
        for (size_t i = 0; i < je->n_members; i++) {
            const cw_joint_member *m = &je->members[i];
            const cw_contribution *mc = m->contribution;
            msgpack_pack_array(pk, 5);
            pk_str(pk, m->ref.id);
            pk_str(pk, cw_status_name(m->status));
            pk_str(pk, m->why);
            pk_str(pk, m->lowest);
            if (!mc) {
                msgpack_pack_nil(pk);
                continue;
            }
            msgpack_pack_array(pk, 5);
            pk_str(pk, mc->control);
            pk_str(pk, mc->stale ? "stale" : cw_ctl_state_name(mc->state));
            pk_str(pk, cw_via_name(mc->via));
            pk_path_index(pk, t, mc->path);
            pk_strs(pk, mc->evidence, mc->n_evidence);
        }
        return;
    }
    /* the link only when the path does not already name it (as in full) */
    bool link = !(c->path && c->link.framework && c->link.id &&
                  strcmp(c->path->from.framework, c->link.framework) == 0 &&
                  strcmp(c->path->from.id, c->link.id) == 0);
    msgpack_pack_array(pk, 8);
    pk_str(pk, cw_via_name(c->via));
    pk_str(pk, c->control);
    pk_str(pk, c->stale ? "stale" : cw_ctl_state_name(c->state));
    pk_str(pk, cw_level_name(c->level));
    if (link) {
        msgpack_pack_array(pk, 3);
        pk_str(pk, c->link.framework);
        pk_str(pk, c->link.id);
        pk_str(pk, cw_level_name(c->link.level));
    } else {
        msgpack_pack_nil(pk);
    }
    pk_path_index(pk, t, c->path);
    pk_strs(pk, c->evidence, c->n_evidence);
    pk_str(pk, c->reached_group);
}

static void pk_table(msgpack_packer *pk, const char *key, const dedup *d)
{
    pk_key(pk, key);
    msgpack_pack_array(pk, d->n);
    if (d->bytes.size)
        pk->callback(pk->data, d->bytes.data, d->bytes.size);
}

static void pk_requirements_compact(msgpack_packer *pk, const cw_coverage *cv)
{
    compact_tabs t = {0};
    fsbuf reqs = {.failed = &t.failed};
    t.scratch.failed = &t.failed;
    msgpack_sbuffer_init(&reqs.sb);
    msgpack_sbuffer_init(&t.scratch.sb);
    msgpack_sbuffer_init(&t.steps.bytes);
    msgpack_sbuffer_init(&t.paths.bytes);
    msgpack_sbuffer_init(&t.rows.bytes);
    msgpack_packer_init(&t.spk, &t.scratch, fsbuf_write);
    msgpack_packer rpk;
    msgpack_packer_init(&rpk, &reqs, fsbuf_write);
    msgpack_pack_array(&rpk, cv->n_reqs);
    for (size_t i = 0; i < cv->n_reqs; i++) {
        const cw_req_status *r = &cv->reqs[i];
        pk_req_head(&rpk, r);
        pk_key(&rpk, "contributions");
        msgpack_pack_array(&rpk, r->n_contribs);
        for (size_t j = 0; j < r->n_contribs; j++)
            pk_contribution_compact(&rpk, &t, &r->contribs[j]);
    }
    if (t.failed) {
        /* out of memory: empty tables and every contribution in full */
        dedup none = {0};
        pk_table(pk, "steps", &none);
        pk_table(pk, "paths", &none);
        pk_table(pk, "rows", &none);
        pk_requirements_full(pk, cv);
    } else {
        pk_table(pk, "steps", &t.steps);
        pk_table(pk, "paths", &t.paths);
        pk_table(pk, "rows", &t.rows);
        pk_key(pk, "requirements");
        pk->callback(pk->data, reqs.sb.data, reqs.sb.size);
    }
    msgpack_sbuffer_destroy(&reqs.sb);
    msgpack_sbuffer_destroy(&t.scratch.sb);
    dedup *ds[] = {&t.steps, &t.paths, &t.rows};
    for (size_t i = 0; i < 3; i++) {
        msgpack_sbuffer_destroy(&ds[i]->bytes);
        free(ds[i]->slots);
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
static const struct cw_rendered *render_keep(cw_server *s, uint64_t id, const msgpack_sbuffer *sb)
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

static void pk_cached_body(cw_server *s, cw_out *out, msgpack_packer *pk, uint64_t id, body_fn fn,
                           const void *ctx)
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
    if (r->blob->len < BLOB_SEND_MIN || !out || cw_out_send_blob(out, r->blob) != 0)
        pk->callback(pk->data, r->blob->data, r->blob->len);
}

struct cov_body {
    const cw_coverage *cv;
    int detail;
};

static void cov_body(msgpack_packer *pk, const void *ctx)
{
    const struct cov_body *b = ctx;
    pk_coverage_body(pk, b->cv, b->detail);
}

static void pk_time_or_nil(msgpack_packer *pk, cw_time t)
{
    if (t == CW_TIME_MIN)
        msgpack_pack_nil(pk);
    else
        pk_time(pk, t);
}

/* "recorded": which versions an as_recorded answer used: when the
 * organisation's records and the catalogues were last written at or
 * before as_of, and, with detail, each contributing control (nil: as when
 * the history began).  An auditor can cite them beside the answer. */
static int pk_recorded(cw_call *k, msgpack_packer *pk, const char *org, cw_time t,
                       const cw_coverage *cv, cw_err *err)
{
    const char **ids = NULL;
    size_t n = 0;
    if (cv) {
        cw_strmap seen;
        size_t total = 0;
        for (size_t i = 0; i < cv->n_reqs; i++)
            total += cv->reqs[i].n_contribs;
        ids = cw_arena_alloc(k->a, (total + 1) * sizeof *ids);
        if (!ids || cw_strmap_init(&seen, k->a, total + 1))
            return cw_err_set(err, CW_ENOMEM, "out of memory");
        for (size_t i = 0; i < cv->n_reqs; i++)
            for (size_t j = 0; j < cv->reqs[i].n_contribs; j++) {
                const char *c = cv->reqs[i].contribs[j].control;
                size_t at;
                if (c && !cw_strmap_get(&seen, c, strlen(c), &at) &&
                    cw_strmap_put(&seen, c, strlen(c), n, NULL) >= 0)
                    ids[n++] = c;
            }
    }
    cw_time *at = cw_arena_alloc(k->a, (n + 1) * sizeof *at), org_at, cat_at;
    int rc = at ? cw_history_versions(k->db, org, t, ids, n, at, &org_at, &cat_at, err)
                : cw_err_set(err, CW_ENOMEM, "out of memory");
    if (rc)
        return rc;
    pk_key(pk, "recorded");
    msgpack_pack_map(pk, 2 + (cv != NULL));
    pk_key(pk, "org");
    pk_time_or_nil(pk, org_at);
    pk_key(pk, "catalogues");
    pk_time_or_nil(pk, cat_at);
    if (cv) {
        pk_key(pk, "controls");
        msgpack_pack_map(pk, n);
        for (size_t i = 0; i < n; i++) {
            pk_str(pk, ids[i]);
            pk_time_or_nil(pk, at[i]);
        }
    }
    return 0;
}

int cw_h_coverage_get(cw_call *k, const cw_args_coverage_get *args, msgpack_packer *pk, cw_err *err)
{
    cw_coverage_query q = {
        .org = args->org,
        .framework = args->framework,
        .as_of = args->has_as_of ? args->as_of : cw_now(),
        .max_hops = args->max_hops,
        .detail = args->detail != CW_DETAIL_NONE,
        .as_recorded = cw_as_recorded(args->has_as_of, args->has_as_recorded, args->as_recorded),
    };
    cw_coverage cv;
    int rc = cw_coverage_get(k->db, &q, k->a, &cv, err);
    if (rc)
        return rc;
    bool compact = args->detail == CW_DETAIL_COMPACT;
    /* A time still to come is a forecast: evidence ages, nothing else moves. */
    bool forecast = q.as_of > cw_now();
    /* the versions are looked up before anything is packed: a failure
     * must leave the answer unstarted */
    msgpack_sbuffer rb;
    msgpack_sbuffer_init(&rb);
    msgpack_packer rp;
    msgpack_packer_init(&rp, &rb, msgpack_sbuffer_write);
    if (q.as_recorded && (rc = pk_recorded(k, &rp, cv.org, cv.as_of, q.detail ? &cv : NULL, err))) {
        msgpack_sbuffer_destroy(&rb);
        return rc;
    }
    msgpack_pack_map(pk, (q.detail ? 9 + 3 * compact : 8) + forecast + 2 * q.as_recorded);
    pk_kv_str(pk, "org", cv.org);
    pk_kv_str(pk, "framework", cv.framework);
    pk_kv_time(pk, "as_of", cv.as_of);
    if (forecast)
        pk_kv_bool(pk, "forecast", true);
    if (q.as_recorded) {
        pk_kv_bool(pk, "as_recorded", true);
        msgpack_pack_str_body(pk, rb.data, rb.size); /* already packed: raw bytes */
    }
    msgpack_sbuffer_destroy(&rb);
    struct cov_body b = {&cv, args->detail};
    /* the full and the compact body of one answer are cached apart; answer
     * ids count up from 1 in one sequence, so the top bit is free */
    uint64_t id = cv.answer_id && compact ? cv.answer_id | (UINT64_C(1) << 63) : cv.answer_id;
    pk_cached_body(k->s, k->out, pk, id, cov_body, &b);
    return 0;
}

static void gap_body(msgpack_packer *pk, const void *ctx);

int cw_h_gap_report(cw_call *k, const cw_args_gap_report *args, msgpack_packer *pk, cw_err *err)
{
    cw_gap_query q = {
        .org = args->org,
        .target = args->target,
        .source = args->source,
        .as_of = args->has_as_of ? args->as_of : cw_now(),
        .max_hops = args->max_hops,
        .as_recorded = cw_as_recorded(args->has_as_of, args->has_as_recorded, args->as_recorded),
    };
    cw_gap_report r;
    int rc = cw_gap_report_get(k->db, &q, k->a, &r, err);
    if (rc)
        return rc;
    bool forecast = q.as_of > cw_now();
    msgpack_pack_map(pk, 12 + forecast + q.as_recorded);
    pk_kv_str(pk, "org", r.org);
    pk_kv_str(pk, "target", r.target);
    pk_kv_str(pk, "source", r.source);
    pk_kv_time(pk, "as_of", r.as_of);
    if (forecast)
        pk_kv_bool(pk, "forecast", true);
    if (q.as_recorded)
        pk_kv_bool(pk, "as_recorded", true);
    pk_cached_body(k->s, k->out, pk, r.answer_id, gap_body, &r);
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
        msgpack_pack_map(pk, 9);
        pk_kv_str(pk, "id", g->id);
        pk_kv_str(pk, "title", g->title);
        pk_kv_str(pk, "group", g->group);
        pk_kv_str(pk, "status", cw_status_name(g->status));
        /* open findings on it; held: a nonconformity keeps it from being
         * met, so no plan step closes it */
        pk_key(pk, "findings");
        msgpack_pack_array(pk, g->n_findings);
        for (size_t j = 0; j < g->n_findings; j++)
            pk_finding_ref(pk, g->findings[j]);
        pk_kv_bool(pk, "held", g->held);
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
    pk_key(pk, "overdue_actions");
    msgpack_pack_array(pk, r.n_overdue);
    for (size_t i = 0; i < r.n_overdue; i++)
        pk_finding(pk, r.overdue[i], r.as_of);
}

static void compare_body(msgpack_packer *pk, const void *ctx);

int cw_h_framework_compare(cw_call *k, const cw_args_framework_compare *args, msgpack_packer *pk,
                           cw_err *err)
{
    cw_compare_query q = {.source = args->source,
                          .target = args->target,
                          .max_hops = args->max_hops,
                          .has_as_of = args->has_as_of,
                          .as_of = args->as_of};
    cw_compare r;
    int rc = cw_framework_compare(k->db, &q, k->a, &r, err);
    if (rc)
        return rc;
    pk_cached_body(k->s, k->out, pk, r.answer_id, compare_body, &r);
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
