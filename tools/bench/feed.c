/* crosswalk-bench feed: what the status feed costs and how fast it is.
 * Against a crosswalkd of its own (--crosswalkd PATH, fsync on) it sets
 * up an organisation whose controls each alone meet one requirement, has
 * --subscribers connections subscribe to it (one framework each) and
 * --connections writers put evidence that alternately passes and fails,
 * so that every write turns one requirement's status.  Two phases:
 *
 *  - latency: subscribers read everything; for each status.changed event
 *    the time it arrived (CLOCK_REALTIME) minus its cause's commit time
 *    (cause.at_us, the log entry's time) gives the event latency after
 *    commit; p50/p90/p99/max and events and writes per second;
 *  - writers and a subscriber that never reads: writes per second with one
 *    subscriber that reads, with and without --never-read more that never
 *    read a byte, in interleaved rounds: the ratio says whether a stalled
 *    subscriber holds writers up (no subscriber at all is shown too: the
 *    cost of judging statuses after every commit).
 *
 * Subscribers are read on a thread of their own (poll over every socket),
 * writers run on the main thread, each connection with one write in
 * flight. */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FEED_ORG "feed-org"
#define FEED_FW "iso27001-2022"
#define FEED_CTLS 8

static const char *const feed_reqs[FEED_CTLS] = {"A.5.1", "A.5.2", "A.5.3", "A.5.4",
                                                 "A.5.5", "A.5.6", "A.5.7", "A.5.8"};

static int64_t realtime_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The rest of the organisation: pad controls P-0001.. (implemented, each
 * with a passing evidence item) linked round the Annex A controls of
 * themes 6 to 8, so that judging the organisation costs what it costs for
 * a real one (every control's state is read again after each commit). */
static void pad(cw_rpc *c, unsigned n)
{
    static const struct {
        char theme;
        unsigned count;
    } themes[] = {{'6', 8}, {'7', 14}, {'8', 34}};
    msgpack_unpacked u;
    for (unsigned done = 0; done < n;) {
        unsigned batch = n - done > 500 ? 500 : n - done;
        cw_rpc_begin(c, "control.put", 2);
        cw_mp_kv_str(&c->pk, "org", FEED_ORG);
        cw_mp_str(&c->pk, "controls");
        msgpack_pack_array(&c->pk, batch);
        for (unsigned i = done; i < done + batch; i++) {
            char id[16], req[16];
            unsigned k = i % 56, t = k < 8 ? 0 : k < 22 ? 1 : 2;
            unsigned nr = k - (t == 0 ? 0 : t == 1 ? 8 : 22) + 1;
            snprintf(id, sizeof id, "P-%04u", i + 1);
            snprintf(req, sizeof req, "A.%c.%u", themes[t].theme, nr);
            msgpack_pack_map(&c->pk, 3);
            cw_mp_kv_str(&c->pk, "id", id);
            cw_mp_kv_str(&c->pk, "status", "implemented");
            cw_mp_str(&c->pk, "links");
            msgpack_pack_array(&c->pk, 1);
            msgpack_pack_map(&c->pk, 2);
            cw_mp_kv_str(&c->pk, "framework", FEED_FW);
            cw_mp_kv_str(&c->pk, "id", req);
        }
        cw_call(c, "control.put", &u);
        msgpack_unpacked_destroy(&u);
        cw_rpc_begin(c, "evidence.load", 2);
        cw_mp_kv_str(&c->pk, "org", FEED_ORG);
        cw_mp_str(&c->pk, "items");
        msgpack_pack_array(&c->pk, batch);
        for (unsigned i = done; i < done + batch; i++) {
            char id[16], ctl[16];
            snprintf(id, sizeof id, "PE-%04u", i + 1);
            snprintf(ctl, sizeof ctl, "P-%04u", i + 1);
            msgpack_pack_map(&c->pk, 4);
            cw_mp_kv_str(&c->pk, "id", id);
            cw_mp_kv_str(&c->pk, "controls", ctl);
            cw_mp_kv_str(&c->pk, "result", "pass");
            cw_mp_kv_int(&c->pk, "collected_at", 1700000000);
        }
        cw_call(c, "evidence.load", &u);
        msgpack_unpacked_destroy(&u);
        done += batch;
    }
}

static void setup(const char *addr, unsigned padding)
{
    cw_rpc c;
    cw_client_open(&c, addr);
    msgpack_unpacked u;
    cw_rpc_begin(&c, "org.put", 1);
    cw_mp_kv_str(&c.pk, "org", FEED_ORG);
    cw_call(&c, "org.put", &u);
    msgpack_unpacked_destroy(&u);
    for (int i = 0; i < FEED_CTLS; i++) {
        char id[16];
        snprintf(id, sizeof id, "F-%d", i);
        cw_rpc_begin(&c, "control.put", 4);
        cw_mp_kv_str(&c.pk, "org", FEED_ORG);
        cw_mp_kv_str(&c.pk, "id", id);
        cw_mp_kv_str(&c.pk, "status", "implemented");
        cw_mp_str(&c.pk, "links");
        msgpack_pack_array(&c.pk, 1);
        msgpack_pack_map(&c.pk, 2);
        cw_mp_kv_str(&c.pk, "framework", FEED_FW);
        cw_mp_kv_str(&c.pk, "id", feed_reqs[i]);
        cw_call(&c, "control.put", &u);
        msgpack_unpacked_destroy(&u);
    }
    pad(&c, padding);
    cw_rpc_close(&c);
}

/* Opens a connection and subscribes it; its answer read unless lazy (a
 * subscriber that never reads: its answer stays unread too). */
static void subscribe(cw_rpc *c, const char *addr, bool lazy)
{
    cw_client_open(c, addr);
    cw_rpc_begin(c, "watch.subscribe", 2);
    cw_mp_kv_str(&c->pk, "org", FEED_ORG);
    cw_mp_str(&c->pk, "frameworks");
    msgpack_pack_array(&c->pk, 1);
    cw_mp_str(&c->pk, FEED_FW);
    if (lazy) {
        char *msg = NULL;
        if (cw_rpc_send(c, NULL, 0, &msg))
            cw_die("watch.subscribe: %s", msg ? msg : "send failed");
        return;
    }
    msgpack_unpacked u;
    cw_call(c, "watch.subscribe", &u);
    msgpack_unpacked_destroy(&u);
}

/* ---- the subscribers' reader ---- */

typedef struct {
    cw_rpc *subs;
    unsigned n;
    atomic_bool stop, measuring;
    uint64_t *lat_us; /* latencies of the events while measuring */
    size_t n_lat, cap_lat;
    uint64_t events;
} reader;

static void record(reader *r, const msgpack_object *params)
{
    const msgpack_object *cause = cw_map_get(params, "cause");
    const msgpack_object *at = cause ? cw_map_get(cause, "at_us") : NULL;
    if (!at || at->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return; /* a time-caused event: not this measurement's */
    int64_t lat = realtime_us() - (int64_t)at->via.u64;
    r->events++;
    if (!atomic_load(&r->measuring))
        return;
    if (r->n_lat == r->cap_lat) {
        r->cap_lat = r->cap_lat ? 2 * r->cap_lat : 65536;
        r->lat_us = cw_xrealloc(r->lat_us, r->cap_lat * sizeof *r->lat_us);
    }
    r->lat_us[r->n_lat++] = lat < 0 ? 0 : (uint64_t)lat;
}

static void *read_main(void *arg)
{
    reader *r = arg;
    struct pollfd *p = cw_xmalloc(r->n * sizeof *p);
    for (unsigned i = 0; i < r->n; i++)
        p[i] = (struct pollfd){r->subs[i].fd, POLLIN, 0};
    while (!atomic_load(&r->stop)) {
        int k = poll(p, r->n, 50);
        if (k < 0 && errno != EINTR)
            cw_die("poll: %s", strerror(errno));
        for (unsigned i = 0; k > 0 && i < r->n; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            /* everything already here, without waiting for more */
            for (;;) {
                msgpack_unpacked u;
                cw_rpc_note note;
                char *msg = NULL;
                int rc = cw_rpc_next_wait(&r->subs[i], &u, 0, &msg);
                if (rc == CW_RPC_EAGAIN) {
                    msgpack_unpacked_destroy(&u);
                    break;
                }
                if (rc)
                    cw_die("subscriber %u: %s", i, msg ? msg : "connection lost");
                if (cw_rpc_note_of(&u.data, &note) && note.params && note.method_len == 14 &&
                    memcmp(note.method, "status.changed", 14) == 0)
                    record(r, note.params);
                msgpack_unpacked_destroy(&u);
            }
        }
    }
    free(p);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t n, double q)
{
    if (!n)
        return 0;
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return (double)v[i] / 1000.0;
}

/* ---- writers ---- */

/* Writes for `seconds` from the writers, each with one evidence.put in
 * flight; every write flips its control's evidence between pass and fail.
 * Returns writes per second. */
static double write_for(cw_rpc *w, unsigned n, double seconds, uint64_t *serial)
{
    uint64_t end = cw_now_ns() + (uint64_t)(seconds * 1e9), writes = 0;
    int64_t t0 = 1700000000;
    for (;;) {
        for (unsigned i = 0; i < n; i++) {
            char id[32], ctl[16];
            uint64_t k = (*serial)++;
            snprintf(id, sizeof id, "FE-%u", i % FEED_CTLS);
            snprintf(ctl, sizeof ctl, "F-%u", i % FEED_CTLS);
            cw_rpc_begin(&w[i], "evidence.put", 5);
            cw_mp_kv_str(&w[i].pk, "org", FEED_ORG);
            cw_mp_kv_str(&w[i].pk, "id", id);
            cw_mp_kv_str(&w[i].pk, "controls", ctl);
            cw_mp_kv_str(&w[i].pk, "result", (k / n) % 2 ? "fail" : "pass");
            cw_mp_kv_int(&w[i].pk, "collected_at", t0 + (int64_t)k);
            char *msg = NULL;
            if (cw_rpc_send(&w[i], NULL, 0, &msg))
                cw_die("evidence.put: %s", msg ? msg : "send failed");
        }
        for (unsigned i = 0; i < n; i++) {
            msgpack_unpacked u;
            cw_recv(&w[i], "evidence.put", &u, NULL);
            msgpack_unpacked_destroy(&u);
            writes++;
        }
        if (cw_now_ns() >= end)
            break;
    }
    return (double)writes / seconds;
}

void cw_feed(const cw_opts *o)
{
    if (!o->crosswalkd && !o->server)
        cw_die("feed: --crosswalkd PATH (a server of its own) or --server ADDR is required");
    unsigned nsub = o->subscribers ? o->subscribers : 100;
    unsigned nw = o->connections ? o->connections : 4;
    if (nw > FEED_CTLS)
        nw = FEED_CTLS; /* one control per writer, so its flips alternate */
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/cw-feed-XXXXXX", data[96], sock[96], log[96], addr[128];
    pid_t pid = 0;
    const char *server = o->server;
    if (!server) {
        if (!mkdtemp(dir))
            cw_die("mkdtemp: %s", strerror(errno));
        snprintf(data, sizeof data, "%s/data", dir);
        snprintf(sock, sizeof sock, "%s/s.sock", dir);
        snprintf(log, sizeof log, "%s/server.log", dir);
        double ms;
        const char *extra[] = {"--max-connections", "4096", o->no_sync ? "--no-sync" : NULL, NULL};
        pid = cw_server_start(o, data, sock, log, "feed", extra, &ms);
        snprintf(addr, sizeof addr, "unix:%s", sock);
        server = addr;
    }
    /* --controls counts the organisation's controls, the eight writers' ones
     * among them */
    setup(server, o->controls > FEED_CTLS ? o->controls - FEED_CTLS : 0);
    cw_rpc *w = cw_xmalloc(nw * sizeof *w);
    for (unsigned i = 0; i < nw; i++)
        cw_client_open(&w[i], server);
    uint64_t serial = 0;
    double secs = o->duration > 0 ? o->duration : 5;

    /* Writers alone (nothing judges statuses), for reference; then, with
     * one subscriber that reads, rounds of writing beside --never-read
     * subscribers that never read and without them, interleaved so that
     * the disk's swings fall on both sides alike. */
    double alone = write_for(w, nw, secs, &serial);
    unsigned nlazy = o->never_read ? o->never_read : 1;
    cw_rpc *lazy = cw_xmalloc(nlazy * sizeof *lazy);
    cw_rpc one;
    subscribe(&one, server, false);
    reader r1 = {&one, 1, false, false, NULL, 0, 0, 0};
    pthread_t th;
    if (pthread_create(&th, NULL, read_main, &r1))
        cw_die("pthread_create failed");
    double with_lazy = 0, without_lazy = 0;
    for (int round = 0; round < 3; round++) {
        for (unsigned i = 0; i < nlazy; i++)
            subscribe(&lazy[i], server, true);
        with_lazy += write_for(w, nw, secs / 3, &serial) / 3;
        for (unsigned i = 0; i < nlazy; i++)
            cw_rpc_close(&lazy[i]);
        without_lazy += write_for(w, nw, secs / 3, &serial) / 3;
    }
    atomic_store(&r1.stop, true);
    pthread_join(th, NULL);
    cw_rpc_close(&one);
    free(r1.lat_us);

    /* subscribers that read */
    cw_rpc *subs = cw_xmalloc(nsub * sizeof *subs);
    for (unsigned i = 0; i < nsub; i++)
        subscribe(&subs[i], server, false);
    reader r = {subs, nsub, false, false, NULL, 0, 0, 0};
    if (pthread_create(&th, NULL, read_main, &r))
        cw_die("pthread_create failed");
    write_for(w, nw, o->warmup > 0 ? o->warmup : 1, &serial);
    atomic_store(&r.measuring, true);
    double with_subs = write_for(w, nw, secs, &serial);
    atomic_store(&r.measuring, false);
    cw_sleep_s(0.5); /* the last events of the phase */
    atomic_store(&r.stop, true);
    pthread_join(th, NULL);
    qsort(r.lat_us, r.n_lat, sizeof *r.lat_us, cmp_u64);

    printf("crosswalk-bench feed: %s, %u controls, %u writers (evidence.put, one in flight each), "
           "%.1f s per phase%s\n",
           server, o->controls > FEED_CTLS ? o->controls : FEED_CTLS, nw, secs,
           o->no_sync ? ", server --no-sync" : "");
    printf("writes/s, no subscriber               %10.0f\n", alone);
    printf("writes/s, 1 reading subscriber        %10.0f\n", without_lazy);
    printf("  and %u that never read               %10.0f   (%.3f x without them)\n", nlazy,
           with_lazy, with_lazy / without_lazy);
    printf("writes/s with %u reading subscribers %10.0f   (%.3f x alone)\n", nsub, with_subs,
           with_subs / alone);
    printf("status.changed events measured       %10zu   (%.0f/s to all subscribers)\n", r.n_lat,
           (double)r.n_lat / secs);
    printf("event latency after commit, ms       p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
           pct(r.lat_us, r.n_lat, 0.5), pct(r.lat_us, r.n_lat, 0.9), pct(r.lat_us, r.n_lat, 0.99),
           pct(r.lat_us, r.n_lat, 1.0));
    if (o->json) {
        FILE *f = cw_json_open(o->json);
        fprintf(
            f,
            "{\"writers\": %u, \"subscribers\": %u, \"never_read\": %u, \"seconds\": %.1f, "
            "\"writes_alone\": %.0f, \"writes_one_reader\": %.0f, \"writes_beside_never_read\": %.0f, "
            "\"writes_with_subscribers\": %.0f, \"events\": %zu, \"latency_ms\": {\"p50\": "
            "%.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f}}\n",
            nw, nsub, nlazy, secs, alone, without_lazy, with_lazy, with_subs, r.n_lat,
            pct(r.lat_us, r.n_lat, 0.5), pct(r.lat_us, r.n_lat, 0.9), pct(r.lat_us, r.n_lat, 0.99),
            pct(r.lat_us, r.n_lat, 1.0));
        cw_json_close(f, o->json);
    }
    if (r.n_lat == 0)
        cw_die("feed: no status.changed event arrived while measuring");
    for (unsigned i = 0; i < nsub; i++)
        cw_rpc_close(&subs[i]);
    for (unsigned i = 0; i < nw; i++)
        cw_rpc_close(&w[i]);
    free(subs);
    free(lazy);
    free(w);
    free(r.lat_us);
    if (pid) {
        cw_server_stop(pid, log, "feed");
        cw_rmtree(dir);
    }
}
