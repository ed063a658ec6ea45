/* crosswalk-bench run: a closed-loop load generator.  N connections each
 * keep `pipeline` requests in flight, one scenario after another on the
 * same connections, always starting with `ping` so every figure can be
 * read as a ratio to a baseline taken in the same run (absolute numbers
 * drift on a shared machine).  Connections are non-blocking sockets driven
 * with poll(); requests are packed straight into each connection's output
 * buffer and answers are found in the byte stream with the tools' scanner
 * (tools/rpc/), unpacked only when they carry an error. */
#include "bench.h"

#include <crosswalk/protocol.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef enum {
    CW_S_PING,
    CW_S_REQGET,
    CW_S_COV_SUMMARY,
    CW_S_COV_DETAIL,
    CW_S_COV_COMPACT,
    CW_S_COV_ASOF,
    CW_S_GAP,
    CW_S_COMPARE,
    CW_S_EVPUT,
    CW_S_EVPUT_SERIAL,
} cw_scn_kind;

static const struct {
    const char *name;
    cw_scn_kind kind;
    const char *what;
} cw_scn_table[] = {
    {"ping", CW_S_PING, "ping"},
    {"requirement.get", CW_S_REQGET, "requirement.get, random shipped requirement"},
    {"coverage-summary", CW_S_COV_SUMMARY, "coverage.get nist-csf-2.0 max_hops 1"},
    {"coverage-detail", CW_S_COV_DETAIL, "coverage.get nist-csf-2.0 max_hops 1 detail"},
    {"coverage-compact", CW_S_COV_COMPACT,
     "coverage.get nist-csf-2.0 max_hops 1 detail \"compact\""},
    {"gap", CW_S_GAP, "gap.report soc2-2017 max_hops 2"},
    {"compare", CW_S_COMPARE, "framework.compare iso27001-2022 -> soc2-2017 max_hops 3"},
    {"evidence-put", CW_S_EVPUT, "evidence.put, one item per request"},
    /* Only when named: the "one commit per write" baseline, one
     * client writing serially, to divide evidence-put by in the same run. */
    {"evidence-put-serial", CW_S_EVPUT_SERIAL, "evidence.put, one connection, one at a time"},
    /* Only when named: a different as_of on every request (a random second
     * of the last 30 days), so no answer comes from the snapshot's memo:
     * the cost of computing coverage, which must follow the number of
     * controls and not the number of evidence items. */
    {"coverage-uncached", CW_S_COV_ASOF,
     "coverage.get nist-csf-2.0 max_hops 1, as_of a random second of the last 30 days"},
};
/* Scenarios run when none is named: all but the serial baseline. */
#define CW_NDEFAULT 8
#define CW_NSCN (sizeof cw_scn_table / sizeof cw_scn_table[0])

typedef struct {
    unsigned scn; /* index into cw_scn_table */
    cw_hist hist;
    uint64_t requests, errors, sent;
    double seconds;
    char first_error[256];
} cw_result;

typedef struct {
    uint32_t id;
    uint64_t t;
} cw_slot;

typedef struct {
    int fd;
    unsigned idx;
    unsigned char *in; /* received bytes not yet consumed */
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_off, out_cap;
    cw_slot *slots;
    unsigned inflight;
    uint32_t next_id;
    uint64_t seq;
    cw_rng rng;
    cw_rpc_scan scan; /* of the message at the start of in */
} cw_rconn;

/* msgpack_packer write callback appending to a connection's output. */
static int cw_rconn_write(void *data, const char *buf, size_t len)
{
    cw_rconn *c = data;
    if (c->out_len + len > c->out_cap) {
        while (c->out_len + len > c->out_cap)
            c->out_cap = c->out_cap ? c->out_cap * 2 : 4096;
        c->out = cw_xrealloc(c->out, c->out_cap);
    }
    memcpy(c->out + c->out_len, buf, len);
    c->out_len += len;
    return 0;
}

typedef struct {
    const cw_opts *o;
    cw_reqs reqs;   /* every shipped requirement, for requirement.get */
    uint64_t nonce; /* keeps evidence-put ids distinct across runs */
} cw_run_ctx;

static void cw_build(const cw_run_ctx *x, cw_scn_kind k, cw_rconn *c)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, c, cw_rconn_write);
    uint32_t id = c->next_id++;
    char org[32];
    snprintf(org, sizeof org, "bench-org-%u", 1 + cw_rng_below(&c->rng, x->o->orgs));
    switch (k) {
    case CW_S_PING: cw_rpc_pack_request(&pk, id, "ping", 0); break;
    case CW_S_REQGET: {
        const cw_req *r = &x->reqs.v[cw_rng_below(&c->rng, (uint32_t)x->reqs.n)];
        cw_rpc_pack_request(&pk, id, "requirement.get", 2);
        cw_mp_kv_str(&pk, "framework", r->fw);
        cw_mp_kv_str(&pk, "id", r->id);
        break;
    }
    case CW_S_COV_SUMMARY:
    case CW_S_COV_DETAIL:
    case CW_S_COV_COMPACT:
    case CW_S_COV_ASOF:
        cw_rpc_pack_request(&pk, id, "coverage.get",
                            k == CW_S_COV_SUMMARY ? 3
                            : k == CW_S_COV_ASOF  ? 5
                                                  : 4);
        cw_mp_kv_str(&pk, "org", org);
        cw_mp_kv_str(&pk, "framework", "nist-csf-2.0");
        cw_mp_kv_int(&pk, "max_hops", 1);
        if (k == CW_S_COV_DETAIL) {
            cw_mp_str(&pk, "detail");
            msgpack_pack_true(&pk);
        } else if (k == CW_S_COV_COMPACT) {
            cw_mp_kv_str(&pk, "detail", "compact");
        } else if (k == CW_S_COV_ASOF) {
            cw_mp_kv_int(&pk, "as_of",
                         (int64_t)time(NULL) - (int64_t)cw_rng_below(&c->rng, 30u * 86400u));
            /* today's records, each request a different evidence time: the
             * organisation was written by this run, after most of them */
            cw_mp_str(&pk, "as_recorded");
            msgpack_pack_false(&pk);
        }
        break;
    case CW_S_GAP:
        cw_rpc_pack_request(&pk, id, "gap.report", 3);
        cw_mp_kv_str(&pk, "org", org);
        cw_mp_kv_str(&pk, "target", "soc2-2017");
        cw_mp_kv_int(&pk, "max_hops", 2);
        break;
    case CW_S_COMPARE:
        cw_rpc_pack_request(&pk, id, "framework.compare", 3);
        cw_mp_kv_str(&pk, "source", "iso27001-2022");
        cw_mp_kv_str(&pk, "target", "soc2-2017");
        cw_mp_kv_int(&pk, "max_hops", 3);
        break;
    case CW_S_EVPUT:
    case CW_S_EVPUT_SERIAL: {
        char eid[96], ctl[16];
        snprintf(eid, sizeof eid, "PUT-%" PRIx64 "-%u-%" PRIu64, x->nonce, c->idx, c->seq++);
        snprintf(ctl, sizeof ctl, "C-%04u", 1 + cw_rng_below(&c->rng, x->o->controls));
        uint32_t res = cw_rng_below(&c->rng, 10);
        cw_rpc_pack_request(&pk, id, "evidence.put", 7);
        cw_mp_kv_str(&pk, "org", org);
        cw_mp_kv_str(&pk, "id", eid);
        cw_mp_str(&pk, "controls");
        msgpack_pack_array(&pk, 1);
        cw_mp_str(&pk, ctl);
        cw_mp_kv_str(&pk, "kind", "scan");
        cw_mp_kv_str(&pk, "title", "benchmark evidence.put");
        cw_mp_kv_int(&pk, "collected_at", (int64_t)time(NULL));
        cw_mp_kv_str(&pk, "result", res < 8 ? "pass" : res < 9 ? "fail" : "unknown");
        break;
    }
    }
    c->slots[c->inflight].id = id;
    c->slots[c->inflight].t = cw_now_ns();
    c->inflight++;
}

/* Handles one response: finds its slot (in order normally, but searched so
 * an out-of-order answer is still timed correctly) and records it. */
static void cw_on_response(cw_rconn *c, const msgpack_object *o, cw_result *r, uint64_t now,
                           uint64_t measure_from, uint64_t measure_to)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4 ||
        o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        o->via.array.ptr[0].via.u64 != CW_MSG_RESPONSE)
        cw_die("connection %u: not a response message", c->idx);
    const msgpack_object *mid = &o->via.array.ptr[1];
    unsigned s = 0;
    while (s < c->inflight &&
           !(mid->type == MSGPACK_OBJECT_POSITIVE_INTEGER && mid->via.u64 == c->slots[s].id))
        s++;
    const msgpack_object *err = &o->via.array.ptr[2];
    if (s == c->inflight) {
        /* msgid 0: parse_error/too_large, after which the server closes. */
        r->errors++;
        if (!r->first_error[0])
            snprintf(r->first_error, sizeof r->first_error, "answer for unknown msgid");
        return;
    }
    uint64_t t = c->slots[s].t;
    c->slots[s] = c->slots[--c->inflight];
    if (err->type != MSGPACK_OBJECT_NIL) {
        r->errors++;
        if (!r->first_error[0]) {
            if (err->type == MSGPACK_OBJECT_ARRAY && err->via.array.size >= 2 &&
                cw_obj_is_str(&err->via.array.ptr[1])) {
                char *m = cw_obj_strdup(&err->via.array.ptr[1]);
                snprintf(r->first_error, sizeof r->first_error, "%s", m);
                free(m);
            } else {
                snprintf(r->first_error, sizeof r->first_error, "malformed error");
            }
        }
        return;
    }
    if (now >= measure_from && now <= measure_to) {
        r->requests++;
        cw_h_add(&r->hist, now - t);
    }
}

/* One whole response message: answers without an error are counted from
 * their envelope alone (cw_rpc_answer_ok: the load generator never unpacks
 * a result); error answers are unpacked to report the message. */
static void cw_on_raw_response(cw_rconn *c, const unsigned char *p, size_t len, cw_result *r,
                               uint64_t now, uint64_t from, uint64_t to)
{
    uint64_t mid;
    if (cw_rpc_answer_ok(p, len, &mid)) {
        unsigned s = 0;
        while (s < c->inflight && c->slots[s].id != mid)
            s++;
        if (s < c->inflight) {
            uint64_t t = c->slots[s].t;
            c->slots[s] = c->slots[--c->inflight];
            if (now >= from && now <= to) {
                r->requests++;
                cw_h_add(&r->hist, now - t);
            }
            return;
        }
    }
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, (const char *)p, len, NULL) != MSGPACK_UNPACK_SUCCESS)
        cw_die("connection %u: unparsable response", c->idx);
    cw_on_response(c, &u.data, r, now, from, to);
    msgpack_unpacked_destroy(&u);
}

static volatile sig_atomic_t cw_interrupted;

static void cw_on_sigint(int sig)
{
    (void)sig;
    cw_interrupted = 1;
}

/* One phase: warm-up, then measurement, then a drain of what is still in
 * flight (answers after the window are not counted, but must arrive so the
 * next scenario starts from empty pipelines). */
static void cw_phase(const cw_run_ctx *x, cw_rconn *cs, unsigned n, cw_result *r,
                     struct pollfd *pfd)
{
    const cw_opts *o = x->o;
    cw_scn_kind k = cw_scn_table[r->scn].kind;
    uint64_t start = cw_now_ns();
    uint64_t from = start + (uint64_t)(o->warmup * 1e9);
    uint64_t to = from + (uint64_t)(o->duration * 1e9);
    bool issuing = true;
    uint64_t drain_deadline = 0;
    /* The serial baseline keeps one request in flight on connection 0 only;
     * the other connections stay open and idle. */
    bool serial = k == CW_S_EVPUT_SERIAL;
    unsigned depth = serial ? 1 : o->pipeline;
    for (;;) {
        uint64_t now = cw_now_ns();
        if (issuing && (now >= to || cw_interrupted)) {
            issuing = false;
            drain_deadline = now + 60ull * 1000000000u;
        }
        unsigned busy = 0;
        for (unsigned i = 0; i < n; i++) {
            cw_rconn *c = &cs[i];
            while (issuing && c->inflight < depth && (!serial || c->idx == 0)) {
                cw_build(x, k, c);
                r->sent++;
            }
            busy += c->inflight;
            pfd[i].fd = c->fd;
            pfd[i].events = POLLIN | (c->out_off < c->out_len ? POLLOUT : 0);
            pfd[i].revents = 0;
        }
        if (!issuing && busy == 0)
            break;
        if (!issuing && now > drain_deadline)
            cw_die("%s: %u answers still missing 60 s after the window closed",
                   cw_scn_table[r->scn].name, busy);
        int timeout = 100;
        if (issuing) {
            uint64_t left_ms = (to - now) / 1000000u + 1;
            if (left_ms < (uint64_t)timeout)
                timeout = (int)left_ms;
        }
        int pr = poll(pfd, n, timeout);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            cw_die("poll: %s", strerror(errno));
        }
        for (unsigned i = 0; i < n && pr > 0; i++) {
            cw_rconn *c = &cs[i];
            if (!pfd[i].revents)
                continue;
            if (pfd[i].revents & POLLOUT) {
                ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN && errno != EINTR)
                    cw_die("connection %u: send: %s", i, strerror(errno));
                if (w > 0) {
                    c->out_off += (size_t)w;
                    if (c->out_off == c->out_len)
                        c->out_off = c->out_len = 0;
                }
            }
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (c->in_cap - c->in_len < (1 << 16)) {
                    c->in_cap = c->in_cap * 2 > c->in_len + (1 << 16) ? c->in_cap * 2
                                                                      : c->in_len + (1 << 16);
                    c->in = cw_xrealloc(c->in, c->in_cap);
                }
                ssize_t got = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
                if (got < 0 && (errno == EAGAIN || errno == EINTR))
                    continue;
                if (got <= 0)
                    cw_die("connection %u closed by the server during %s (%s)", i,
                           cw_scn_table[r->scn].name, got < 0 ? strerror(errno) : "EOF");
                c->in_len += (size_t)got;
                uint64_t t = cw_now_ns();
                size_t done = 0, ml;
                while ((ml = cw_rpc_scan_next(c->in + done, c->in_len - done, &c->scan)) != 0) {
                    if (ml == SIZE_MAX)
                        cw_die("connection %u: unparsable response", i);
                    cw_on_raw_response(c, c->in + done, ml, r, t, from, to);
                    done += ml;
                }
                if (done) {
                    memmove(c->in, c->in + done, c->in_len - done);
                    c->in_len -= done;
                }
                /* Refill at once so this connection's pipeline stays full
                 * while the others are serviced in the same sweep. */
                while (issuing && cw_now_ns() < to && c->inflight < depth &&
                       (!serial || c->idx == 0)) {
                    cw_build(x, k, c);
                    r->sent++;
                }
                if (c->out_off < c->out_len) {
                    ssize_t w =
                        send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
                    if (w > 0) {
                        c->out_off += (size_t)w;
                        if (c->out_off == c->out_len)
                            c->out_off = c->out_len = 0;
                    }
                }
            }
        }
    }
    r->seconds = cw_interrupted ? (double)(cw_now_ns() - from) / 1e9 : o->duration;
    if (r->seconds <= 0)
        r->seconds = o->duration > 0 ? o->duration : 1;
}

/* One client thread's share of a scenario: connections [first, first + n). */
typedef struct {
    const cw_run_ctx *x;
    cw_rconn *cs;
    unsigned n;
    struct pollfd *pfd;
    cw_result r;
} cw_share;

static void *cw_share_main(void *arg)
{
    cw_share *sh = arg;
    cw_phase(sh->x, sh->cs, sh->n, &sh->r, sh->pfd);
    return NULL;
}

/* Runs a scenario on every connection, split over o->threads threads, and
 * adds their figures into r (histograms merged bucket by bucket). */
static void cw_phase_threads(const cw_run_ctx *x, cw_rconn *cs, unsigned n, cw_result *r,
                             struct pollfd *pfd)
{
    unsigned t = x->o->threads < n ? x->o->threads : n;
    if (t <= 1) {
        cw_phase(x, cs, n, r, pfd);
        return;
    }
    cw_share *sh = calloc(t, sizeof *sh);
    pthread_t *tid = calloc(t, sizeof *tid);
    if (!sh || !tid)
        cw_die("out of memory");
    for (unsigned i = 0, first = 0; i < t; i++) {
        unsigned cnt = n / t + (i < n % t);
        sh[i] = (cw_share){x, cs + first, cnt, pfd + first, {.scn = r->scn}};
        first += cnt;
        if (pthread_create(&tid[i], NULL, cw_share_main, &sh[i]))
            cw_die("pthread_create failed");
    }
    r->seconds = 0;
    for (unsigned i = 0; i < t; i++) {
        pthread_join(tid[i], NULL);
        const cw_result *q = &sh[i].r;
        for (unsigned b = 0; b < CW_H_BUCKETS; b++)
            r->hist.b[b] += q->hist.b[b];
        r->hist.count += q->hist.count;
        if (q->hist.max > r->hist.max)
            r->hist.max = q->hist.max;
        r->requests += q->requests;
        r->errors += q->errors;
        r->sent += q->sent;
        if (q->seconds > r->seconds)
            r->seconds = q->seconds;
        if (!r->first_error[0] && q->first_error[0])
            memcpy(r->first_error, q->first_error, sizeof r->first_error);
    }
    free(sh);
    free(tid);
}

/* Measures ping and then each scenario of order[] on o's server (one
 * phase each, as `run` describes), filling res[0..norder). */
static void cw_measure(const cw_opts *o, const unsigned *order, unsigned norder, cw_result *res)
{
    cw_run_ctx x;
    memset(&x, 0, sizeof x);
    x.o = o;
    x.nonce = ((uint64_t)time(NULL) << 16) ^ (uint64_t)getpid();
    bool need_reqs = false; /* only requirement.get draws from them */
    for (unsigned s = 0; s < norder; s++)
        need_reqs |= cw_scn_table[order[s]].kind == CW_S_REQGET;
    if (need_reqs) {
        cw_rpc c;
        cw_client_open(&c, o->server);
        cw_strs fws = cw_fetch_frameworks(&c);
        for (size_t i = 0; i < fws.n; i++)
            cw_fetch_requirements(&c, fws.v[i], false, &x.reqs);
        cw_strs_free(&fws);
        cw_rpc_close(&c);
        if (!x.reqs.n)
            cw_die("run: the server holds no requirements");
    }

    cw_rconn *cs = calloc(o->connections, sizeof *cs);
    struct pollfd *pfd = calloc(o->connections, sizeof *pfd);
    if (!cs || !pfd)
        cw_die("out of memory");
    for (unsigned i = 0; i < o->connections; i++) {
        cw_rconn *c = &cs[i];
        c->fd = cw_connect(o->server);
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        c->idx = i;
        c->next_id = 1;
        c->slots = cw_xmalloc(o->pipeline * sizeof *c->slots);
        c->rng.s = o->seed * 0x100000001b3ull + i + 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cw_on_sigint;
    sigaction(SIGINT, &sa, NULL);

    for (unsigned s = 0; s < norder && !cw_interrupted; s++) {
        res[s].scn = order[s];
        fprintf(stderr, "run: %s (%.0f s warm-up, %.0f s measured)...\n",
                cw_scn_table[order[s]].name, o->warmup, o->duration);
        cw_phase_threads(&x, cs, o->connections, &res[s], pfd);
    }

    for (unsigned i = 0; i < o->connections; i++) {
        close(cs[i].fd);
        free(cs[i].in);
        free(cs[i].out);
        free(cs[i].slots);
    }
    free(cs);
    free(pfd);
    cw_reqs_free(&x.reqs);
}

void cw_run(const cw_opts *o)
{
    if (!o->server)
        cw_die("run: --server is required");
    if (o->connections < 1 || o->connections > 10000)
        cw_die("--connections must be 1..10000");
    if (o->pipeline < 1 || o->pipeline > 4096)
        cw_die("--pipeline must be 1..4096");
    if (o->threads < 1 || o->threads > 64)
        cw_die("--threads must be 1..64");
    if (o->duration <= 0)
        cw_die("--duration must be positive");

    /* Scenario list: ping first, then the requested ones (all by default),
     * each name once. */
    unsigned order[CW_NSCN + 32], norder = 0;
    order[norder++] = 0;
    if (o->nscenarios == 0) {
        for (unsigned i = 1; i < CW_NDEFAULT; i++)
            order[norder++] = i;
    }
    for (unsigned s = 0; s < o->nscenarios; s++) {
        unsigned i = 0;
        while (i < CW_NSCN && strcmp(cw_scn_table[i].name, o->scenarios[s]) != 0)
            i++;
        if (i == CW_NSCN)
            cw_die("unknown scenario '%s' (--help lists them)", o->scenarios[s]);
        bool seen = false;
        for (unsigned j = 0; j < norder; j++)
            seen |= order[j] == i;
        if (!seen)
            order[norder++] = i;
    }

    cw_result *res = calloc(norder, sizeof *res);
    if (!res)
        cw_die("out of memory");
    cw_measure(o, order, norder, res);

    double ping_rps = res[0].requests / res[0].seconds;
    uint64_t total_errors = 0;
    printf("crosswalk-bench run: %s, %u connections, pipeline %u, %u client thread%s, %.1f s per "
           "scenario (+%.1f s warm-up)\n",
           o->server, o->connections, o->pipeline, o->threads, o->threads == 1 ? "" : "s",
           o->duration, o->warmup);
    printf("%-18s %12s %10s %10s %10s %10s %8s %8s\n", "scenario", "requests/s", "p50 us", "p99 us",
           "p999 us", "max us", "errors", "x ping");
    for (unsigned s = 0; s < norder; s++) {
        const cw_result *r = &res[s];
        double rps = r->requests / r->seconds;
        total_errors += r->errors;
        printf("%-18s %12.0f %10.0f %10.0f %10.0f %10.0f %8" PRIu64 " %8.3f\n",
               cw_scn_table[r->scn].name, rps, cw_h_quantile_us(&r->hist, 0.5),
               cw_h_quantile_us(&r->hist, 0.99), cw_h_quantile_us(&r->hist, 0.999),
               (double)r->hist.max / 1000.0, r->errors, ping_rps > 0 ? rps / ping_rps : 0.0);
        if (r->first_error[0])
            printf("  first error: %s\n", r->first_error);
    }

    if (o->json) {
        FILE *f = cw_json_open(o->json);
        cw_json_str(f, "{\"server\": ", o->server);
        fprintf(f,
                ", \"connections\": %u, \"pipeline\": %u, \"threads\": %u, \"duration_s\": %g, "
                "\"warmup_s\": %g, \"seed\": %" PRIu64 ", \"baseline\": \"ping\", \"scenarios\": [",
                o->connections, o->pipeline, o->threads, o->duration, o->warmup, o->seed);
        for (unsigned s = 0; s < norder; s++) {
            const cw_result *r = &res[s];
            double rps = r->requests / r->seconds;
            cw_json_str(f, s ? ",\n  {\"name\": " : "\n  {\"name\": ", cw_scn_table[r->scn].name);
            cw_json_str(f, ", \"what\": ", cw_scn_table[r->scn].what);
            fprintf(f,
                    ", \"requests\": %" PRIu64 ", \"seconds\": %.3f, \"requests_per_s\": %.1f, "
                    "\"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, "
                    "\"errors\": %" PRIu64 ", \"ratio_to_ping\": %.4f",
                    r->requests, r->seconds, rps, cw_h_quantile_us(&r->hist, 0.5),
                    cw_h_quantile_us(&r->hist, 0.99), cw_h_quantile_us(&r->hist, 0.999),
                    (double)r->hist.max / 1000.0, r->errors, ping_rps > 0 ? rps / ping_rps : 0.0);
            if (r->first_error[0]) {
                cw_json_str(f, ", \"first_error\": ", r->first_error);
            }
            fputc('}', f);
        }
        fprintf(f, "\n], \"errors\": %" PRIu64 "}\n", total_errors);
        cw_json_close(f, o->json);
    }

    free(res);
    if (cw_interrupted)
        exit(130);
    /* Error answers make the run fail so scripts notice; the figures are
     * still printed above. */
    if (total_errors)
        exit(2);
}

void cw_run_figures(const cw_opts *o, const char *scenario, cw_figures *ping, cw_figures *fig)
{
    unsigned order[2] = {0, 0};
    while (order[1] < CW_NSCN && strcmp(cw_scn_table[order[1]].name, scenario) != 0)
        order[1]++;
    if (order[1] == CW_NSCN)
        cw_die("unknown scenario '%s'", scenario);
    cw_result res[2];
    memset(res, 0, sizeof res);
    res[0].scn = order[0];
    res[1].scn = order[1];
    cw_measure(o, order, 2, res);
    cw_figures *out[2] = {ping, fig};
    for (int i = 0; i < 2; i++) {
        out[i]->rps = res[i].seconds > 0 ? res[i].requests / res[i].seconds : 0;
        out[i]->p50_us = cw_h_quantile_us(&res[i].hist, 0.5);
        out[i]->p99_us = cw_h_quantile_us(&res[i].hist, 0.99);
        out[i]->errors = res[i].errors;
        out[i]->sent = res[i].sent;
    }
    if (cw_interrupted)
        exit(130);
}
