/* Handlers of continuous compliance: the change log (log.head, log.list,
 * log.verify, log.compact), the status feed (watch.subscribe,
 * watch.unsubscribe; watch.c keeps the subscriptions) and the questions
 * about change over time (evidence.expiring, status.changes). */
#include "pack.h"
#include "server.h"
#include "watch.h"

#include "crosswalk/catalog.h"
#include "crosswalk/changelog.h"
#include "crosswalk/check.h"
#include "crosswalk/org.h"
#include "crosswalk/query.h"
#include "crosswalk/strmap.h"

#include <stdio.h>
#include <string.h>

/* status.changes evaluates at most this many instants per call. */
#define STEPS_MAX 2000

static void pk_hex(msgpack_packer *pk, const char *k, const unsigned char b[32])
{
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", b[i]);
    pk_kv_str(pk, k, hex);
}

static void pk_at_us(msgpack_packer *pk, int64_t at_us)
{
    pk_kv_time(pk, "at", (cw_time)(at_us / 1000000));
    pk_kv_int(pk, "at_us", at_us);
}

static void pk_entry(msgpack_packer *pk, const cw_log_entry *e)
{
    msgpack_pack_map(pk, e->checkpoint ? 8 : 13);
    pk_kv_int(pk, "seq", (int64_t)e->seq);
    pk_at_us(pk, e->at_us);
    pk_kv_str(pk, "method", e->method);
    if (e->checkpoint) {
        pk_kv_bool(pk, "checkpoint", true);
        pk_kv_int(pk, "removed", (int64_t)e->keys_total);
        pk_hex(pk, "prev", e->prev);
        pk_hex(pk, "hash", e->hash);
        return;
    }
    pk_kv_str(pk, "actor", e->actor);
    pk_kv_str(pk, "role", e->role);
    pk_key(pk, "orgs");
    pk_strs(pk, e->orgs, e->n_orgs);
    pk_kv_bool(pk, "catalogue", e->catalogue);
    pk_key(pk, "keys");
    msgpack_pack_array(pk, e->n_keys);
    for (size_t i = 0; i < e->n_keys; i++) {
        msgpack_pack_map(pk, 3);
        pk_kv_str(pk, "kind", e->keys[i].kind);
        pk_kv_str(pk, "org", e->keys[i].org);
        pk_kv_str(pk, "id", e->keys[i].id);
    }
    pk_kv_int(pk, "keys_total", (int64_t)e->keys_total);
    pk_hex(pk, "digest", e->digest);
    pk_hex(pk, "prev", e->prev);
    pk_hex(pk, "hash", e->hash);
}

/* The frameworks a call names, checked one by one so that a mistake names
 * its place in the list (frameworks[2]); at most CW_WATCH_FWS_MAX. */
static int check_frameworks(cw_call *k, const cw_ids *fws, cw_err *err)
{
    if (fws->n > CW_WATCH_FWS_MAX)
        return cw_err_set(err, CW_EINVAL, "frameworks: %zu given; at most %d", fws->n,
                          CW_WATCH_FWS_MAX);
    for (size_t i = 0; i < fws->n; i++) {
        char field[48];
        snprintf(field, sizeof field, "frameworks[%u]", (unsigned)i);
        int rc = cw_check_name(field, fws->v[i], CW_MAX_SLUG, err);
        cw_framework_info fi;
        if (rc == 0 && cw_framework_get(k->db, fws->v[i], k->a, &fi, NULL) != 0)
            rc = cw_err_set(err, CW_ENOFW, "%s: no framework '%s'", field, fws->v[i]);
        if (rc)
            return rc;
    }
    return 0;
}

int cw_h_log_head(cw_call *k, const cw_args_log_head *args, msgpack_packer *pk, cw_err *err)
{
    (void)args;
    uint64_t seq, entries, bytes;
    unsigned char hash[32];
    int64_t at_us;
    int rc;
    if ((rc = cw_log_head(k->db, &seq, hash, &at_us, err)) ||
        (rc = cw_log_size(k->db, &entries, &bytes, err)))
        return rc;
    msgpack_pack_map(pk, 6);
    pk_kv_int(pk, "seq", (int64_t)seq);
    pk_hex(pk, "hash", hash);
    pk_at_us(pk, at_us);
    pk_kv_int(pk, "entries", (int64_t)entries);
    pk_kv_int(pk, "bytes", (int64_t)bytes);
    return 0;
}

/* The organisation a caller may read entries of: an org-scoped token's
 * own, whatever it asked. */
static const char *scoped_org(const cw_call *k, const char *asked)
{
    if (k->who && k->who->role != ROLE_ADMIN && k->who->org[0])
        return k->who->org;
    return asked;
}

int cw_h_log_list(cw_call *k, const cw_args_log_list *args, msgpack_packer *pk, cw_err *err)
{
    const char *org = scoped_org(k, args->has_org ? args->org : NULL);
    cw_log_entry *es;
    size_t n;
    uint64_t next;
    int rc = cw_log_list(k->db, org, args->has_since ? (uint64_t)args->since : 0,
                         args->has_limit ? (size_t)args->limit : 100, k->a, &es, &n, &next, err);
    if (rc)
        return rc;
    msgpack_pack_map(pk, 3);
    pk_kv_str(pk, "org", org);
    pk_key(pk, "entries");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        pk_entry(pk, &es[i]);
    pk_key(pk, "next");
    if (next)
        msgpack_pack_uint64(pk, next);
    else
        msgpack_pack_nil(pk);
    return 0;
}

int cw_h_log_verify(cw_call *k, const cw_args_log_verify *args, msgpack_packer *pk, cw_err *err)
{
    if (args->has_from && args->has_to && args->to && args->to < args->from)
        return cw_err_set(err, CW_EINVAL, "to: before from");
    cw_log_check chk;
    int rc = cw_log_verify(k->db, args->has_from ? (uint64_t)args->from : 0,
                           args->has_to ? (uint64_t)args->to : 0, &chk, err);
    if (rc)
        return rc;
    uint64_t seq;
    unsigned char hash[32];
    int64_t at_us;
    if ((rc = cw_log_head(k->db, &seq, hash, &at_us, err)))
        return rc;
    msgpack_pack_map(pk, chk.ok ? 5 : 7);
    pk_kv_bool(pk, "ok", chk.ok);
    pk_kv_int(pk, "from", (int64_t)chk.from);
    pk_kv_int(pk, "to", (int64_t)chk.to);
    pk_kv_int(pk, "entries", (int64_t)chk.entries);
    if (!chk.ok) {
        pk_kv_int(pk, "first_bad", (int64_t)chk.first_bad);
        pk_kv_str(pk, "reason", chk.reason);
    }
    pk_key(pk, "head");
    msgpack_pack_map(pk, 2);
    pk_kv_int(pk, "seq", (int64_t)seq);
    pk_hex(pk, "hash", hash);
    return 0;
}

int cw_h_log_compact(cw_call *k, const cw_args_log_compact *args, msgpack_packer *pk, cw_err *err)
{
    uint64_t removed;
    int rc = cw_log_compact(k->db, k->w, (int64_t)args->before * 1000000, &removed, err);
    if (rc)
        return rc;
    msgpack_pack_map(pk, 1);
    pk_kv_int(pk, "removed", (int64_t)removed);
    return 0;
}

int cw_h_watch_subscribe(cw_call *k, const cw_args_watch_subscribe *args, msgpack_packer *pk,
                         cw_err *err)
{
    if (!k->conn)
        return cw_err_set(err, CW_EINVAL, "watch.subscribe needs a connection to send to");
    int rc = args->has_frameworks ? check_frameworks(k, &args->frameworks, err) : 0;
    if (rc)
        return rc;
    cw_watch_request rq = {args->org,
                           !args->has_frameworks,
                           args->has_frameworks ? args->frameworks.v : NULL,
                           args->has_frameworks ? args->frameworks.n : 0,
                           args->has_as_of_lag ? args->as_of_lag : 0,
                           args->has_controls && args->controls,
                           args->has_since,
                           args->has_since ? (uint64_t)args->since : 0};
    cw_watch_reply r;
    rc = cw_watch_subscribe(k->s, k->conn, &rq, &r, err);
    if (rc)
        return rc;
    msgpack_pack_map(pk, 8);
    pk_kv_int(pk, "subscription", (int64_t)r.subscription);
    pk_kv_str(pk, "org", args->org);
    pk_key(pk, "frameworks");
    msgpack_pack_array(pk, r.n_frameworks);
    for (size_t i = 0; i < r.n_frameworks; i++)
        pk_str(pk, r.frameworks[i]);
    pk_kv_int(pk, "as_of_lag", rq.lag);
    pk_kv_int(pk, "position", (int64_t)r.position);
    pk_kv_bool(pk, "resumed", r.resumed);
    pk_kv_bool(pk, "lost", r.lost);
    pk_key(pk, "next_change");
    if (r.until < CW_TIME_MAX)
        pk_time(pk, r.until);
    else
        msgpack_pack_nil(pk);
    return 0;
}

int cw_h_watch_unsubscribe(cw_call *k, const cw_args_watch_unsubscribe *args, msgpack_packer *pk,
                           cw_err *err)
{
    if (!k->conn)
        return cw_err_set(err, CW_EINVAL, "watch.unsubscribe needs a connection");
    bool found;
    cw_watch_unsubscribe(k->s, k->conn, (uint64_t)args->subscription, &found);
    msgpack_pack_map(pk, 1);
    pk_kv_bool(pk, "unsubscribed", found);
    return 0;
}

/* ---- change over time ---- */

typedef struct change {
    const char *id;
    cw_status from, to;
    cw_time at;
} change;

/* Appends the changes from a to b (the same catalogue: same requirements
 * in the same order, else matched by id) to *out. */
static int diff(cw_arena *ar, const cw_coverage *a, const cw_coverage *b, cw_time at, change **out,
                size_t *n, size_t *cap)
{
    cw_strmap old;
    bool same = a->n_reqs == b->n_reqs;
    for (size_t i = 0; same && i < a->n_reqs; i++)
        same = strcmp(a->reqs[i].id, b->reqs[i].id) == 0;
    if (!same && cw_strmap_init(&old, ar, a->n_reqs + 1))
        return CW_ENOMEM;
    for (size_t i = 0; !same && i < a->n_reqs; i++)
        cw_strmap_put(&old, a->reqs[i].id, strlen(a->reqs[i].id), i, NULL);
    for (size_t i = 0; i < b->n_reqs; i++) {
        size_t j = i;
        if (!same && !cw_strmap_get(&old, b->reqs[i].id, strlen(b->reqs[i].id), &j))
            continue;
        if (a->reqs[j].status == b->reqs[i].status)
            continue;
        change *grown = cw_arena_grow(ar, *out, sizeof *grown, cap, *n + 1);
        if (!grown)
            return CW_ENOMEM;
        *out = grown;
        (*out)[(*n)++] = (change){b->reqs[i].id, a->reqs[j].status, b->reqs[i].status, at};
    }
    return 0;
}

static void pk_changes(msgpack_packer *pk, const char *fw, const change *c, size_t n)
{
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(pk, fw ? 5 : 4);
        if (fw)
            pk_kv_str(pk, "framework", fw);
        pk_kv_str(pk, "id", c[i].id);
        pk_kv_str(pk, "from", cw_status_name(c[i].from));
        pk_kv_str(pk, "to", cw_status_name(c[i].to));
        pk_kv_time(pk, "at", c[i].at);
    }
}

int cw_h_evidence_expiring(cw_call *k, const cw_args_evidence_expiring *args, msgpack_packer *pk,
                           cw_err *err)
{
    cw_time from = args->has_as_of ? args->as_of : cw_now();
    if (from > CW_TIME_MAX - args->within)
        return cw_err_set(err, CW_ERANGE, "within: reaches past the year 9999");
    cw_time to = from + args->within;
    cw_evidence *items;
    size_t n_items;
    int rc = args->has_frameworks ? check_frameworks(k, &args->frameworks, err) : 0;
    if (rc)
        return rc;
    /* fresh at from, no longer at to: valid_until in [from, to) */
    rc = cw_evidence_expiring(k->db, args->org, from - 1, to - 1, k->a, &items, &n_items, err);
    if (rc)
        return rc;
    const char **fws = args->has_frameworks ? args->frameworks.v : NULL;
    size_t n_fws = args->has_frameworks ? args->frameworks.n : 0;
    if (!args->has_frameworks) {
        cw_framework_info *all;
        if ((rc = cw_framework_list(k->db, k->a, &all, &n_fws, err)))
            return rc;
        fws = cw_arena_alloc(k->a, (n_fws + 1) * sizeof *fws);
        if (!fws)
            return cw_err_set(err, CW_ENOMEM, "out of memory");
        for (size_t i = 0; i < n_fws; i++)
            fws[i] = all[i].fw.slug;
    }
    change **per = cw_arena_alloc(k->a, (n_fws + 1) * sizeof *per);
    size_t *np = cw_arena_alloc(k->a, (n_fws + 1) * sizeof *np);
    if (!per || !np)
        return cw_err_set(err, CW_ENOMEM, "out of memory");
    size_t total = 0;
    for (size_t f = 0; f < n_fws; f++) {
        cw_coverage a, b;
        cw_coverage_query qa = {args->org, fws[f], from, 0, false, false}, qb = qa;
        qb.as_of = to;
        size_t cap = 0;
        per[f] = NULL;
        np[f] = 0;
        if ((rc = cw_coverage_get(k->db, &qa, k->a, &a, err)) ||
            (rc = cw_coverage_get(k->db, &qb, k->a, &b, err)))
            return rc;
        if (diff(k->a, &a, &b, to, &per[f], &np[f], &cap))
            return cw_err_set(err, CW_ENOMEM, "out of memory");
        total += np[f];
    }
    msgpack_pack_map(pk, 5);
    pk_kv_str(pk, "org", args->org);
    pk_kv_time(pk, "from", from);
    pk_kv_time(pk, "to", to);
    pk_key(pk, "items");
    msgpack_pack_array(pk, n_items);
    for (size_t i = 0; i < n_items; i++) {
        msgpack_pack_map(pk, 5);
        pk_kv_str(pk, "id", items[i].id);
        pk_kv_str(pk, "title", items[i].title);
        pk_key(pk, "controls");
        pk_strs(pk, items[i].controls, items[i].n_controls);
        pk_kv_str(pk, "result", cw_result_name(items[i].result));
        pk_kv_time(pk, "valid_until", items[i].valid_until);
    }
    pk_key(pk, "requirements");
    msgpack_pack_array(pk, total);
    for (size_t f = 0; f < n_fws; f++)
        for (size_t i = 0; i < np[f]; i++) {
            msgpack_pack_map(pk, 4);
            pk_kv_str(pk, "framework", fws[f]);
            pk_kv_str(pk, "id", per[f][i].id);
            pk_kv_str(pk, "from", cw_status_name(per[f][i].from));
            pk_kv_str(pk, "to", cw_status_name(per[f][i].to));
        }
    return 0;
}

/* The organisation's change log entries written in [from, to]: how many,
 * the first WRITES_SHOWN of them, and whether the count is whole (at most
 * WRITES_PAGES pages are read, from the first entry of the period on). */
#define WRITES_SHOWN 20
#define WRITES_PAGES 20
typedef struct writes_seen {
    uint64_t count;
    bool complete;
    cw_log_entry first[WRITES_SHOWN];
    size_t n;
} writes_seen;

static int writes_in(cw_call *k, const char *org, cw_time from, cw_time to, writes_seen *ws,
                     cw_err *err)
{
    memset(ws, 0, sizeof *ws);
    ws->complete = true;
    int64_t lo = (int64_t)from * 1000000, hi = ((int64_t)to + 1) * 1000000;
    uint64_t since;
    int rc = cw_log_seq_at(k->db, lo, &since, err);
    if (rc)
        return rc;
    since = since ? since - 1 : 0;
    for (int page = 0; page < WRITES_PAGES; page++) {
        cw_log_entry *es;
        size_t n;
        uint64_t next;
        if ((rc = cw_log_list(k->db, org, since, 1000, k->a, &es, &n, &next, err)))
            return rc;
        for (size_t i = 0; i < n; i++) {
            if (es[i].at_us >= hi)
                return 0; /* entries are in time order */
            if (es[i].checkpoint)
                continue;
            if (ws->n < WRITES_SHOWN)
                ws->first[ws->n++] = es[i];
            ws->count++;
        }
        if (!next)
            return 0;
        since = next;
    }
    ws->complete = false;
    return 0;
}

int cw_h_status_changes(cw_call *k, const cw_args_status_changes *args, msgpack_packer *pk,
                        cw_err *err)
{
    cw_time to = args->has_to ? args->to : cw_now();
    if (to < args->from)
        return cw_err_set(err, CW_EINVAL, "to: before from");
    cw_coverage cur;
    cw_coverage_query q = {args->org, args->framework, args->from, 0, false, false};
    int rc = cw_coverage_get(k->db, &q, k->a, &cur, err);
    if (rc)
        return rc;
    size_t counts[CW_ST_COUNT];
    memcpy(counts, cur.counts, sizeof counts);
    change *ch = NULL;
    size_t n = 0, cap = 0, steps = 0;
    bool complete = true;
    cw_time resume = 0;
    /* Statuses change only where a control's state or an open finding
     * does: walk from one such instant to the next. */
    while (cur.until <= to) {
        if (steps == STEPS_MAX) {
            complete = false;
            resume = cur.as_of;
            break;
        }
        cw_coverage nx;
        q.as_of = cur.until;
        if ((rc = cw_coverage_get(k->db, &q, k->a, &nx, err)))
            return rc;
        if (diff(k->a, &cur, &nx, nx.as_of, &ch, &n, &cap))
            return cw_err_set(err, CW_ENOMEM, "out of memory");
        cur = nx;
        steps++;
    }
    /* What the change log says was written to the organisation in the
     * period: those writes' effect on controls, links and scope before
     * they happened is not reconstructed, so the caller sees them. */
    writes_seen ws;
    if ((rc = writes_in(k, args->org, args->from, to, &ws, err)))
        return rc;
    msgpack_pack_map(pk, complete ? 10 : 11);
    pk_kv_str(pk, "org", args->org);
    pk_kv_str(pk, "framework", args->framework);
    pk_kv_time(pk, "from", args->from);
    pk_kv_time(pk, "to", to);
    pk_key(pk, "start");
    pk_counts(pk, counts);
    pk_key(pk, "end");
    pk_counts(pk, cur.counts);
    pk_key(pk, "changes");
    pk_changes(pk, NULL, ch, n);
    pk_kv_bool(pk, "complete", complete);
    if (!complete)
        pk_kv_time(pk, "resume_from", resume);
    pk_kv_str(pk, "sees",
              "evidence and audit findings as of each time; controls, links, scope decisions and "
              "crosswalks as they are now");
    pk_key(pk, "writes");
    msgpack_pack_map(pk, 3);
    pk_kv_int(pk, "count", (int64_t)ws.count);
    pk_kv_bool(pk, "complete", ws.complete);
    pk_key(pk, "first");
    msgpack_pack_array(pk, ws.n);
    for (size_t i = 0; i < ws.n; i++) {
        msgpack_pack_map(pk, 5);
        pk_kv_int(pk, "seq", (int64_t)ws.first[i].seq);
        pk_kv_time(pk, "at", (cw_time)(ws.first[i].at_us / 1000000));
        pk_kv_str(pk, "method", ws.first[i].method);
        pk_kv_str(pk, "actor", ws.first[i].actor);
        pk_kv_int(pk, "records", (int64_t)ws.first[i].keys_total);
    }
    return 0;
}
