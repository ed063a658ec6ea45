/* crosswalk-bench load: evidence.load of a million generated items in
 * batches, then, as the baseline in the same run, the same records in a
 * raw LMDB put loop on a fresh local environment (the only use of liblmdb
 * here: a local baseline, never the server's store). */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

/* One evidence.load request and where each item's map sits in it: the
 * baseline puts exactly those bytes as the LMDB values. */
typedef struct {
    msgpack_sbuffer sb;
    msgpack_packer pk;
    size_t *off, *len;
    unsigned n;
} cw_lbatch;

/* Packs batch number `b` (0-based, items first..first+n-1, numbered from 1)
 * as a request with msgid b + 1.  Items come from `rng` in order, so
 * replaying the same seed packs the same bytes. */
static void cw_lbatch_build(cw_lbatch *lb, const cw_opts *o, cw_rng *rng, uint64_t b,
                            uint64_t first, unsigned n)
{
    msgpack_sbuffer_clear(&lb->sb);
    cw_rpc_pack_request(&lb->pk, (uint32_t)(b + 1), "evidence.load", 2);
    cw_mp_kv_str(&lb->pk, "org", o->org);
    cw_mp_str(&lb->pk, "items");
    msgpack_pack_array(&lb->pk, n);
    for (unsigned k = 0; k < n; k++) {
        char eid[32], uri[160];
        uint64_t num = first + k;
        /* LD-nnnnnnn never collides with gen's EV-nnnnnn or evidence-csv's
         * CSV-nnnnnnn, so load adds items beside the generated dataset. */
        snprintf(eid, sizeof eid, "LD-%07" PRIu64, num);
        snprintf(uri, sizeof uri, "https://evidence.example/%s/load/%" PRIu64, o->org, num);
        lb->off[k] = lb->sb.size;
        cw_pk_ev_item(&lb->pk, rng, o->controls, eid, num, uri);
        lb->len[k] = lb->sb.size - lb->off[k];
    }
    lb->n = n;
}

static uint64_t cw_map_uint(const msgpack_object *m, const char *key)
{
    const msgpack_object *v = cw_map_get(m, key);
    return v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v->via.u64 : 0;
}

static void cw_lmdb_check(int rc, const char *what)
{
    if (rc)
        cw_die("baseline: %s: %s", what, mdb_strerror(rc));
}

void cw_load(const cw_opts *o)
{
    if (!o->server || !o->org)
        cw_die("load: --server and --org are required");
    if (!o->items)
        cw_die("load: --items must be at least 1");
    if (o->pipeline < 1 || o->pipeline > 64)
        cw_die("load: --pipeline must be 1..64");
    uint64_t nbatches = (o->items + o->batch - 1) / o->batch;
    const char *sync = o->no_sync ? "nosync" : "fsync";

    cw_lbatch lb;
    memset(&lb, 0, sizeof lb);
    msgpack_sbuffer_init(&lb.sb);
    msgpack_packer_init(&lb.pk, &lb.sb, msgpack_sbuffer_write);
    lb.off = cw_xmalloc(o->batch * sizeof *lb.off);
    lb.len = cw_xmalloc(o->batch * sizeof *lb.len);
    const uint64_t seed = o->seed ^ 0x6c6f61646c6f6164ull; /* "loadload" */

    /* Server side.  One connection, --pipeline requests in flight (1 by
     * default: the next batch is sent the moment the previous is answered,
     * so the server sees one bulk write at a time and cannot merge two into
     * one commit).  Packing batch k+1 happens while batch k is on the
     * server, so the client's own work is hidden except for the CPU it
     * takes from the server on a small machine. */
    cw_rpc c;
    cw_client_open(&c, o->server);
    {
        msgpack_unpacked u;
        cw_rpc_begin(&c, "ping", 0);
        cw_call(&c, "ping", &u);
        msgpack_unpacked_destroy(&u);
    }
    fprintf(stderr,
            "load: %" PRIu64 " items into %s in %" PRIu64 " batches of %u, pipeline %u...\n",
            o->items, o->org, nbatches, o->batch, o->pipeline);
    cw_rng rng = {seed};
    cw_hist *sh = calloc(1, sizeof *sh);
    cw_hist *bh = calloc(1, sizeof *bh);
    uint64_t *sent_at = calloc(nbatches, sizeof *sent_at);
    if (!sh || !bh || !sent_at)
        cw_die("out of memory");
    uint64_t created = 0, updated = 0, unchanged = 0, bytes = 0;
    uint64_t built = 0, sent = 0, answered = 0;
    cw_lbatch_build(&lb, o, &rng, 0, 1, o->items < o->batch ? (unsigned)o->items : o->batch);
    built = 1;
    uint64_t t0 = cw_now_ns();
    while (answered < nbatches) {
        while (sent < built && sent - answered < o->pipeline) {
            sent_at[sent] = cw_now_ns();
            cw_write_all(c.fd, lb.sb.data, lb.sb.size);
            bytes += lb.sb.size;
            sent++;
            if (built < nbatches) {
                uint64_t first = built * o->batch + 1;
                uint64_t left = o->items - (first - 1);
                cw_lbatch_build(&lb, o, &rng, built, first,
                                left < o->batch ? (unsigned)left : o->batch);
                built++;
            }
        }
        msgpack_unpacked u;
        uint64_t mid = 0;
        const msgpack_object *res = cw_recv(&c, "evidence.load", &u, &mid);
        uint64_t now = cw_now_ns();
        if (mid < 1 || mid > sent || !sent_at[mid - 1])
            cw_die("evidence.load: answer for unexpected msgid %" PRIu64, mid);
        cw_h_add(sh, now - sent_at[mid - 1]);
        sent_at[mid - 1] = 0;
        uint64_t n = mid == nbatches ? o->items - (nbatches - 1) * o->batch : o->batch;
        uint64_t cr = cw_map_uint(res, "created"), up = cw_map_uint(res, "updated");
        uint64_t un = cw_map_uint(res, "unchanged"), rj = cw_map_uint(res, "rejected");
        if (cr + up + un != n || rj)
            cw_die("evidence.load: batch %" PRIu64 " of %" PRIu64 " items answered created %" PRIu64
                   ", updated %" PRIu64 ", unchanged %" PRIu64 ", rejected %" PRIu64,
                   mid, n, cr, up, un, rj);
        created += cr;
        updated += up;
        unchanged += un;
        msgpack_unpacked_destroy(&u);
        answered++;
    }
    double server_s = (double)(cw_now_ns() - t0) / 1e9;
    cw_rpc_close(&c);
    double server_ips = (double)o->items / server_s;
    fprintf(stderr, "load: server done in %.2f s; baseline LMDB put loop (%s)...\n", server_s,
            sync);

    /* Baseline: the same records, key org NUL id, value the item's map as
     * sent, into a fresh environment opened as the server opens its own
     * (MDB_NOTLS, MDB_NOSYNC only with --no-sync), one transaction per
     * --batch puts.  Only begin..commit is timed: packing the batch is the
     * client's work, not the store's. */
    char dir[4096];
    {
        char parent[4000];
        if (o->data_dir) {
            /* Beside the server's data, so on the same filesystem. */
            if (strlen(o->data_dir) >= sizeof parent)
                cw_die("--data-dir too long");
            snprintf(parent, sizeof parent, "%s", o->data_dir);
            size_t l = strlen(parent);
            while (l > 1 && parent[l - 1] == '/')
                parent[--l] = 0;
            char *slash = strrchr(parent, '/');
            if (!slash)
                snprintf(parent, sizeof parent, ".");
            else if (slash == parent)
                parent[1] = 0;
            else
                *slash = 0;
        } else {
            const char *t = getenv("TMPDIR");
            if (!t || !*t || strlen(t) >= sizeof parent)
                t = "/tmp";
            snprintf(parent, sizeof parent, "%s", t);
        }
        snprintf(dir, sizeof dir, "%s/cw-bench-lmdb-XXXXXX", parent);
        if (!mkdtemp(dir))
            cw_die("baseline: mkdtemp %s: %s", dir, strerror(errno));
    }
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *txn;
    /* Sized up front for about 1 KiB a record (items are ~300 bytes); it
     * grows if that is short, like the server's map, but never should. */
    size_t map = (size_t)(64u << 20) + (size_t)o->items * 1024u;
    cw_lmdb_check(mdb_env_create(&env), "mdb_env_create");
    cw_lmdb_check(mdb_env_set_mapsize(env, map), "mdb_env_set_mapsize");
    cw_lmdb_check(mdb_env_open(env, dir, MDB_NOTLS | (o->no_sync ? MDB_NOSYNC : 0), 0600),
                  "mdb_env_open");
    cw_lmdb_check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
    cw_lmdb_check(mdb_dbi_open(txn, NULL, 0, &dbi), "mdb_dbi_open");
    cw_lmdb_check(mdb_txn_commit(txn), "mdb_txn_commit");
    rng.s = seed;
    size_t olen = strlen(o->org);
    char key[512];
    if (olen + 40 > sizeof key)
        cw_die("load: --org too long");
    memcpy(key, o->org, olen);
    key[olen] = 0;
    uint64_t base_ns = 0;
    for (uint64_t b = 0; b < nbatches; b++) {
        uint64_t first = b * o->batch + 1;
        uint64_t left = o->items - (first - 1);
        cw_lbatch_build(&lb, o, &rng, b, first, left < o->batch ? (unsigned)left : o->batch);
        uint64_t ts = cw_now_ns();
        for (;;) {
            cw_lmdb_check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
            int rc = 0;
            for (unsigned k = 0; k < lb.n && !rc; k++) {
                int kl =
                    snprintf(key + olen + 1, sizeof key - olen - 1, "LD-%07" PRIu64, first + k);
                MDB_val kv = {olen + 1 + (size_t)kl, key};
                MDB_val vv = {lb.len[k], lb.sb.data + lb.off[k]};
                rc = mdb_put(txn, dbi, &kv, &vv, 0);
            }
            if (!rc)
                rc = mdb_txn_commit(txn);
            else
                mdb_txn_abort(txn);
            if (rc != MDB_MAP_FULL) {
                cw_lmdb_check(rc, "mdb_put/mdb_txn_commit");
                break;
            }
            map *= 2;
            cw_lmdb_check(mdb_env_set_mapsize(env, map), "mdb_env_set_mapsize");
        }
        uint64_t te = cw_now_ns();
        cw_h_add(bh, te - ts);
        base_ns += te - ts;
    }
    mdb_env_close(env);
    cw_rmtree(dir);
    double base_s = (double)base_ns / 1e9;
    double base_ips = (double)o->items / base_s;
    double ratio = server_ips / base_ips;
    bool ratio_met = ratio >= 0.25, rate_met = server_ips >= 100000;

    printf("crosswalk-bench load: %s, org %s, %" PRIu64 " items in batches of %u, pipeline %u, "
           "%s commits\n",
           o->server, o->org, o->items, o->batch, o->pipeline, sync);
    printf("%-22s %12s %10s %12s %12s %12s\n", "side", "items/s", "seconds", "batch p50 ms",
           "batch p99 ms", "batch max ms");
    printf("%-22s %12.0f %10.2f %12.1f %12.1f %12.1f\n", "evidence.load", server_ips, server_s,
           cw_h_quantile_us(sh, 0.5) / 1000, cw_h_quantile_us(sh, 0.99) / 1000,
           (double)sh->max / 1e6);
    printf("%-22s %12.0f %10.2f %12.1f %12.1f %12.1f\n", "raw LMDB put loop", base_ips, base_s,
           cw_h_quantile_us(bh, 0.5) / 1000, cw_h_quantile_us(bh, 0.99) / 1000,
           (double)bh->max / 1e6);
    printf("server created %" PRIu64 ", updated %" PRIu64 ", unchanged %" PRIu64
           "; %.1f MB of requests\n",
           created, updated, unchanged, (double)bytes / 1e6);
    printf("server / baseline: %.3f (target >= 0.25: %s); server items/s target >= 100000: %s\n",
           ratio, ratio_met ? "met" : "missed", rate_met ? "met" : "missed");
    if (o->no_sync)
        printf("baseline opened with MDB_NOSYNC: compare only with crosswalkd --no-sync\n");
    else
        printf("baseline fsyncs every commit: compare only with crosswalkd without --no-sync\n");

    if (o->json) {
        FILE *f = cw_json_open(o->json);
        cw_json_str(f, "{\"command\": \"load\", \"server\": ", o->server);
        cw_json_str(f, ", \"org\": ", o->org);
        fprintf(f,
                ", \"items\": %" PRIu64 ", \"batch\": %u, \"batches\": %" PRIu64
                ", \"pipeline\": %u, \"seed\": %" PRIu64 ", \"sync\": \"%s\",\n"
                " \"server\": {\"seconds\": %.3f, \"items_per_s\": %.1f, \"batch_p50_ms\": %.2f, "
                "\"batch_p99_ms\": %.2f, \"batch_max_ms\": %.2f, \"created\": %" PRIu64
                ", \"updated\": %" PRIu64 ", \"unchanged\": %" PRIu64
                ", \"request_bytes\": %" PRIu64 "},\n"
                " \"baseline\": {\"what\": \"raw LMDB put loop, key org NUL id, value the item map "
                "as sent, one transaction per batch\", \"seconds\": %.3f, \"items_per_s\": %.1f, "
                "\"batch_p50_ms\": %.2f, \"batch_p99_ms\": %.2f, \"batch_max_ms\": %.2f},\n"
                " \"ratio_to_baseline\": %.4f, \"target_ratio\": 0.25, \"ratio_met\": %s, "
                "\"target_items_per_s\": 100000, \"items_per_s_met\": %s}\n",
                o->items, o->batch, nbatches, o->pipeline, o->seed, sync, server_s, server_ips,
                cw_h_quantile_us(sh, 0.5) / 1000, cw_h_quantile_us(sh, 0.99) / 1000,
                (double)sh->max / 1e6, created, updated, unchanged, bytes, base_s, base_ips,
                cw_h_quantile_us(bh, 0.5) / 1000, cw_h_quantile_us(bh, 0.99) / 1000,
                (double)bh->max / 1e6, ratio, ratio_met ? "true" : "false",
                rate_met ? "true" : "false");
        cw_json_close(f, o->json);
    }
    free(sh);
    free(bh);
    free(sent_at);
    free(lb.off);
    free(lb.len);
    msgpack_sbuffer_destroy(&lb.sb);
}
