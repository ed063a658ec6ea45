/* The event-driven side of crosswalkd: listeners, connections, the
 * streaming read path (frame scan, then msgpack-c, then dispatch, for every
 * whole message in a read), answers flushed to the socket once per read,
 * backpressure on clients that do not read, idle timeouts, and delivery of
 * the writer thread's answers.  Everything here runs on the loop thread. */
#include "server.h"
#include "watch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 65536
/* Messages at least this long are decoded from a copy a write job can
 * adopt (see process_input). */
#define ADOPT_MIN 65536
/* One connection's share of a loop turn: this many messages, this many
 * bytes of answers or this much time, then every other socket gets its turn (like Redis'
 * per-client processing budget).  Before auth the share is smaller. */
#define TURN_MESSAGES 64
#define TURN_MESSAGES_PREAUTH 8
#define TURN_OUTPUT (1u << 20)
#define TURN_NS 2000000u /* 2 ms of work, for requests that cost more than a ping */

_Static_assert(sizeof(msgpack_object) == CW_FRAME_OBJECT_BYTES,
               "frame.h's decoded element cost is msgpack_object's size");

/* What --max-memory counts: input buffers, answers not yet sent, write
 * jobs in flight. */
static size_t mem_used(const cw_server *s)
{
    return s->mem_in + s->mem_out + s->job_bytes;
}

static void memory_freed(cw_server *s);
static void update_reading(cw_conn *c);

/* Crossing the budget: every connection with nothing buffered stops
 * reading (update_reading), not only those that happen to be looked at. */
static void memory_taken(cw_server *s)
{
    if (s->at_budget || mem_used(s) <= s->cfg.max_memory)
        return;
    s->at_budget = true;
    cw_log(s, LOG_WARN, "memory budget of %zu bytes reached: no new messages until it drains",
           s->cfg.max_memory);
    for (cw_conn *c = s->conns; c; c = c->next)
        update_reading(c);
}

/* Output packed for c and not yet handed to uv_write. */
static size_t pending_out(const cw_conn *c)
{
    return cw_out_pending(&c->out);
}

static void conn_free(cw_conn *c)
{
    c->srv->mem_in -= c->in_cap;
    free(c->in);
    cw_out_free(&c->out);
    free(c);
}

void cw_conn_unref(cw_conn *c)
{
    if (--c->refs == 0)
        conn_free(c);
}

static void on_conn_closed(uv_handle_t *h)
{
    cw_conn *c = h->data;
    cw_server *s = c->srv;
    s->n_more -= c->more;
    s->n_wait_writer -= c->wait_writer;
    s->n_preauth -= c->preauth;
    s->n_wait_memory -= c->wait_memory;
    c->more = c->wait_writer = c->preauth = c->wait_memory = false;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->n_conns--;
    cw_watch_conn_closed(s, c);
    cw_log(s, LOG_DEBUG, "closed conn=%llu peer=%s", (unsigned long long)c->id, c->peer);
    cw_conn_unref(c);
    memory_freed(s);
}

static void conn_close(cw_conn *c, const char *why)
{
    if (c->closing)
        return;
    c->closing = true;
    if (why)
        cw_log(c->srv, LOG_INFO, "closing conn=%llu peer=%s reason=%s", (unsigned long long)c->id,
               c->peer, why);
    uv_read_stop(&c->h.stream);
    uv_close((uv_handle_t *)&c->h.stream, on_conn_closed);
}

/* ---- output ---- */

/* One uv_write: either a single owned buffer (base) or, when shared
 * answer bodies are among it, the connection's segments in order. */
typedef struct wreq {
    uv_write_t req;
    cw_conn *c;
    size_t len;
    char *base;
    cw_seg *segs;
    size_t nsegs;
} wreq;

static void process_input(cw_conn *c);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);
static void on_turn(uv_idle_t *t);

/* A connection reads only while it can act on what arrives: not while a
 * read waits behind its writes, a write waits for the writer's queue, its
 * answers go unread, or whole messages are left for a later turn.  So its
 * input buffer never holds more than one message plus a read. */
static void update_reading(cw_conn *c)
{
    cw_server *s = c->srv;
    bool want = !c->closing && !c->close_after_flush && !s->stopping && !c->blocked &&
                !c->wait_writer && !c->throttled && !c->more;
    /* At the memory budget no new message is started: a connection with
     * nothing buffered waits (one in the middle of a message finishes
     * it), until answers are sent, writes commit or connections close. */
    if (want && c->in_len == 0 && s->at_budget) {
        want = false;
        if (!c->wait_memory) {
            c->wait_memory = true;
            s->n_wait_memory++;
        }
    }
    if (want && !c->reading) {
        if (uv_read_start(&c->h.stream, on_alloc, on_read) == 0)
            c->reading = true;
    } else if (!want && c->reading) {
        uv_read_stop(&c->h.stream);
        c->reading = false;
    }
}

static void throttle(cw_conn *c)
{
    if (!c->throttled) {
        c->throttled = true;
        c->throttled_since_ms = uv_now(c->srv->loop);
        cw_log(c->srv, LOG_DEBUG, "throttling conn=%llu queued=%zu", (unsigned long long)c->id,
               pending_out(c) + c->queued);
    }
}

/* Whole messages are left: run again on the next loop turn. */
static void more_later(cw_conn *c)
{
    cw_server *s = c->srv;
    if (c->more)
        return;
    c->more = true;
    if (s->n_more++ == 0)
        uv_idle_start(&s->turn, on_turn);
}

static void on_written(uv_write_t *req, int status)
{
    wreq *wr = (wreq *)req;
    cw_conn *c = wr->c;
    c->queued -= wr->len;
    c->srv->mem_out -= wr->len;
    c->srv->bytes_out += status == 0 ? wr->len : 0;
    free(wr->base);
    cw_segs_free(wr->segs, wr->nsegs);
    free(wr);
    if (status < 0 && !c->closing)
        conn_close(c, uv_strerror(status));
    if (!c->closing && c->close_after_flush && c->queued == 0)
        conn_close(c, NULL);
    /* Resume a throttled client once half its backlog is gone: first the
     * requests already buffered, then reading. */
    if (!c->closing && c->throttled && c->queued <= c->srv->cfg.max_output_soft / 2) {
        c->throttled = false;
        process_input(c);
    }
    if (!c->closing && c->n_watch && c->queued <= c->srv->cfg.max_output_soft / 2)
        cw_watch_writable(c->srv, c);
    memory_freed(c->srv);
    cw_conn_unref(c);
}

static void flush(cw_conn *c)
{
    if (c->closing || pending_out(c) == 0)
        return;
    wreq *wr = calloc(1, sizeof *wr);
    if (!wr || cw_out_detach(&c->out, &wr->base, &wr->segs, &wr->nsegs, &wr->len)) {
        free(wr);
        conn_close(c, "out of memory");
        return;
    }
    wr->c = c;
    /* uv_write copies the descriptors; a local array also keeps gcc's
     * object-size analysis (ASan builds) from misjudging the heap struct. */
    uv_buf_t one[1], *bufs = one;
    unsigned nbufs = 1;
    if (wr->nsegs == 0) {
        one[0] = uv_buf_init(wr->base, (unsigned)wr->len);
    } else {
        bufs = malloc(wr->nsegs * sizeof *bufs);
        if (!bufs) {
            cw_segs_free(wr->segs, wr->nsegs);
            free(wr);
            conn_close(c, "out of memory");
            return;
        }
        for (size_t i = 0; i < wr->nsegs; i++)
            bufs[i] = uv_buf_init(wr->segs[i].own ? wr->segs[i].own : wr->segs[i].blob->data,
                                  (unsigned)wr->segs[i].len);
        nbufs = (unsigned)wr->nsegs;
    }
    c->queued += wr->len;
    c->srv->mem_out += wr->len;
    memory_taken(c->srv);
    c->refs++;
    int rc = uv_write(&wr->req, &c->h.stream, bufs, nbufs, on_written);
    if (bufs != one)
        free(bufs);
    if (rc < 0) {
        c->queued -= wr->len;
        c->srv->mem_out -= wr->len;
        free(wr->base);
        cw_segs_free(wr->segs, wr->nsegs);
        free(wr);
        c->refs--;
        conn_close(c, uv_strerror(rc));
        return;
    }
    const cw_config *cfg = &c->srv->cfg;
    /* One answer may be up to the limit (dispatch refuses larger ones)
     * and a client is served only while its unread answers are below the
     * soft limit: more than the limit before this write means it stopped
     * reading. */
    if (c->queued - wr->len > cfg->max_output) {
        conn_close(c, "client does not read its answers (hard output limit)");
    } else if (c->queued > cfg->max_output_soft) {
        throttle(c);
        update_reading(c);
    }
}

/* Parses and dispatches the whole messages buffered on c, up to its share
 * of this loop turn. */
static void process_input(cw_conn *c)
{
    cw_server *s = c->srv;
    size_t off = 0;
    const cw_config *cfg = &s->cfg;
    unsigned done = 0;
    uint64_t t0 = uv_hrtime();
    while (!c->closing && !c->close_after_flush && !c->blocked && !c->wait_writer &&
           off < c->in_len) {
        /* A client that does not read its answers: stop answering (and
         * reading) until they drain; what is buffered waits. */
        if (pending_out(c) + c->queued > cfg->max_output_soft) {
            throttle(c);
            break;
        }
        if (done >= (c->preauth ? TURN_MESSAGES_PREAUTH : TURN_MESSAGES) ||
            pending_out(c) > TURN_OUTPUT || (done && uv_hrtime() - t0 > TURN_NS)) {
            more_later(c);
            break;
        }
        /* Before auth only small messages: auth, ping and server.info are
         * all a client may send, and nothing larger is decoded for a
         * stranger. */
        if (c->frame.pos == 0)
            c->frame.max_message = c->preauth && cfg->max_message > CW_PREAUTH_MAX_MESSAGE
                                       ? CW_PREAUTH_MAX_MESSAGE
                                       : cfg->max_message;
        size_t mlen = 0;
        int r = cw_frame_scan(&c->frame, c->in + off, c->in_len - off, &mlen);
        if (r == CW_FRAME_MORE)
            break;
        if (r < 0) {
            cw_refuse_message(s, c, r == CW_FRAME_PARSE ? CW_EPARSE : CW_ETOOBIG, c->frame.why,
                              c->in_len - off);
            cw_log(s, LOG_INFO, "conn=%llu peer=%s: %s: %s", (unsigned long long)c->id, c->peer,
                   r == CW_FRAME_PARSE ? "parse_error" : "too_large", c->frame.why);
            c->close_after_flush = true;
            off = c->in_len;
            break;
        }
        /* Objects go to the loop's reused zone (cleared per message, so no
         * allocation per request); the unpacked handed on owns no zone, and
         * nothing keeps its objects past cw_dispatch (write jobs decode
         * their own copy). A large message (a bulk write, mostly) is
         * copied first and decoded once, into a zone of its own, so that
         * a write job can adopt the copy and its objects instead of
         * decoding megabytes a second time. */
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        char *own = NULL;
        const char *raw = (const char *)c->in + off;
        msgpack_zone *z = &s->zone;
        if (mlen >= ADOPT_MIN && (own = malloc(mlen)) &&
            !(u.zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE))) {
            free(own);
            own = NULL;
        }
        if (own) {
            memcpy(own, raw, mlen);
            raw = own;
            z = u.zone;
        } else {
            msgpack_zone_clear(&s->zone);
        }
        size_t uoff = 0;
        if (msgpack_unpack(raw, mlen, &uoff, z, &u.data) != MSGPACK_UNPACK_SUCCESS ||
            uoff != mlen) {
            msgpack_unpacked_destroy(&u);
            free(own);
            cw_refuse_message(s, c, CW_EPARSE, "the message is not valid msgpack", mlen);
            c->close_after_flush = true;
            off = c->in_len;
            break;
        }
        c->msg_cost = mlen + (size_t)c->frame.last_objects * CW_FRAME_OBJECT_BYTES;
        int d = cw_dispatch(s, c, &u, raw, mlen, &own);
        if (d != DISPATCH_DONE) {
            /* Not taken: scanned and decoded again when it can run. */
            msgpack_unpacked_destroy(&u);
            free(own);
            if (d == DISPATCH_BLOCKED) {
                c->blocked = true;
            } else {
                c->wait_writer = true;
                s->n_wait_writer++;
            }
            cw_frame_init(&c->frame, s->cfg.max_message, s->cfg.max_depth);
            break;
        }
        memory_taken(s); /* a write job may have been queued */
        free(own);       /* not adopted by a write job */
        off += mlen;
        done++;
        if (c->preauth && c->who.role != ROLE_NONE) {
            c->preauth = false;
            s->n_preauth--;
        }
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    flush(c);
    update_reading(c);
    if (c->close_after_flush && c->queued == 0 && !c->closing)
        conn_close(c, NULL);
}

/* Below three quarters of the budget again: the connections that waited
 * read again. */
static void memory_freed(cw_server *s)
{
    if (!s->at_budget || mem_used(s) > s->cfg.max_memory / 4 * 3)
        return;
    s->at_budget = false;
    for (cw_conn *c = s->conns; c && s->n_wait_memory; c = c->next)
        if (c->wait_memory) {
            c->wait_memory = false;
            s->n_wait_memory--;
            update_reading(c);
        }
}

/* The next loop turn for the connections with whole messages left. */
static void on_turn(uv_idle_t *t)
{
    cw_server *s = t->data;
    for (cw_conn *c = s->conns, *next; c && s->n_more; c = next) {
        next = c->next;
        if (!c->more)
            continue;
        c->more = false;
        s->n_more--;
        process_input(c);
    }
    if (s->n_more == 0)
        uv_idle_stop(&s->turn);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    cw_conn *c = h->data;
    if (c->in_cap - c->in_len < READ_CHUNK) {
        size_t nc = c->in_cap ? c->in_cap * 2 : READ_CHUNK * 2;
        while (nc - c->in_len < READ_CHUNK)
            nc *= 2;
        unsigned char *p = realloc(c->in, nc);
        if (!p) {
            buf->base = NULL;
            buf->len = 0;
            return;
        }
        c->srv->mem_in += nc - c->in_cap;
        c->in = p;
        c->in_cap = nc;
        memory_taken(c->srv);
    }
    buf->base = (char *)c->in + c->in_len;
    buf->len = c->in_cap - c->in_len;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    cw_conn *c = st->data;
    if (n < 0) {
        conn_close(c, n == UV_EOF ? NULL : uv_strerror((int)n));
        return;
    }
    if (n == 0)
        return;
    c->in_len += (size_t)n;
    c->srv->bytes_in += (uint64_t)n;
    c->last_active_ms = uv_now(c->srv->loop);
    process_input(c);
    /* A shrunk buffer after a large message is given back. */
    if (c->in_len == 0 && c->in_cap > 4 * READ_CHUNK) {
        c->srv->mem_in -= c->in_cap;
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
        memory_freed(c->srv);
    }
}

/* The writer's answer to one of c's writes (s->deliver). */
static void deliver(cw_server *s, cw_job *j)
{
    cw_conn *c = j->conn;
    c->pending_writes--;
    c->job_bytes -= j->cost;
    s->job_bytes -= j->cost;
    memory_freed(s);
    /* Room in the writer's queue: the writes that waited for it run on
     * the next turn, in connection order. */
    for (cw_conn *w = s->conns; w && s->n_wait_writer; w = w->next)
        if (w->wait_writer) {
            w->wait_writer = false;
            s->n_wait_writer--;
            if (!w->closing)
                more_later(w);
        }
    if (!c->closing) {
        msgpack_sbuffer_write(&c->out.buf, j->reply.data, j->reply.size);
        if (c->blocked && c->pending_writes == 0) {
            c->blocked = false;
            process_input(c);
        } else {
            flush(c);
        }
    }
    cw_job_done(s, j);
    cw_job_free(j);
    cw_conn_unref(c);
}

/* ---- listeners ---- */

/* Connections that hold a slot: those on their way out (closing, or
 * closing once their last answer is written) do not.  Counted only when
 * n_conns, which includes them until their handles close, is over the
 * limit. */
static unsigned live_conns(const cw_server *s)
{
    unsigned n = 0;
    for (const cw_conn *c = s->conns; c; c = c->next)
        n += !c->closing && !c->close_after_flush;
    return n;
}

/* Answers a new connection overloaded (why, also logged at level) and
 * closes it once that is written. */
static void refuse(cw_conn *c, int level, const char *why)
{
    cw_answer_error(c, 0, CW_EOVERLOAD, why);
    cw_log(c->srv, level, "refusing conn=%llu peer=%s: %s", (unsigned long long)c->id, c->peer,
           why);
    c->close_after_flush = true;
    flush(c);
}

/* Closes the connection that has waited longest without authenticating
 * (new connections go to the head of the list: the last one found). */
static void evict_oldest_stranger(cw_server *s)
{
    cw_conn *oldest = NULL;
    for (cw_conn *c = s->conns; c; c = c->next)
        if (c->preauth && !c->closing && !c->close_after_flush)
            oldest = c;
    if (!oldest)
        return;
    cw_answer_error(oldest, 0, CW_EOVERLOAD,
                    "too many connections are waiting to authenticate: the oldest is closed");
    s->auth_failures_quiet++;
    if (uv_now(s->loop) - s->last_auth_warn_ms >= 1000) {
        cw_log(s, LOG_WARN,
               "%llu connections closed for not authenticating while others waited (%u not "
               "authenticated, limit %u)",
               (unsigned long long)s->auth_failures_quiet, s->n_preauth,
               s->cfg.max_connections - (s->cfg.max_connections / 8 + 1));
        s->last_auth_warn_ms = uv_now(s->loop);
        s->auth_failures_quiet = 0;
    }
    oldest->close_after_flush = true;
    s->n_preauth--;
    oldest->preauth = false;
    flush(oldest);
    update_reading(oldest);
    if (oldest->queued == 0)
        conn_close(oldest, NULL);
}

static void on_connection(uv_stream_t *server, int status)
{
    cw_server *s = server->data;
    if (status < 0) {
        cw_log(s, LOG_WARN, "accept failed: %s", uv_strerror(status));
        return;
    }
    cw_conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->srv = s;
    c->refs = 1;
    c->id = ++s->next_conn_id;
    cw_out_init(&c->out);
    c->who.conn_id = c->id;
    cw_frame_init(&c->frame, s->cfg.max_message, s->cfg.max_depth);
    int rc;
    if (server->type == UV_TCP)
        rc = uv_tcp_init(s->loop, &c->h.tcp);
    else
        rc = uv_pipe_init(s->loop, &c->h.pipe, 0);
    if (rc) {
        conn_free(c);
        return;
    }
    c->h.stream.data = c;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->n_conns++;
    s->total_conns++;
    if (uv_accept(server, &c->h.stream)) {
        conn_close(c, "accept failed");
        return;
    }
    if (server->type == UV_TCP) {
        struct sockaddr_storage ss;
        int len = sizeof ss;
        uv_tcp_nodelay(&c->h.tcp, 1);
        if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &len) == 0) {
            char ip[48] = "?";
            int port = 0;
            if (ss.ss_family == AF_INET) {
                uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof ip);
                port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            } else {
                uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof ip);
                port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
            }
            snprintf(c->peer, sizeof c->peer, "%s:%d", ip, port);
            snprintf(c->who.addr, sizeof c->who.addr, "%s", ip);
        }
    } else {
        snprintf(c->peer, sizeof c->peer, "unix");
        snprintf(c->who.addr, sizeof c->who.addr, "unix");
    }
    c->last_active_ms = c->connected_ms = uv_now(s->loop);
    if (!s->auth_required)
        c->who.role = ROLE_ADMIN; /* loopback/Unix only: the socket is the trust boundary */
    snprintf(c->who.actor, sizeof c->who.actor, "local");
    if (s->auth_required) {
        /* Strangers cannot lock clients out: they may hold all but an
         * eighth of the slots (kept for clients that have authenticated),
         * and when their share or every slot is taken the one that has
         * waited longest without authenticating makes room. */
        unsigned reserve = s->cfg.max_connections > 1 ? s->cfg.max_connections / 8 + 1 : 0;
        if (s->n_preauth > 0 &&
            ((s->n_conns > s->cfg.max_connections && live_conns(s) > s->cfg.max_connections) ||
             s->n_preauth + reserve >= s->cfg.max_connections))
            evict_oldest_stranger(s);
    }
    char why[160];
    if (s->at_budget) {
        snprintf(why, sizeof why, "the server is at its memory budget (--max-memory %zu bytes)",
                 s->cfg.max_memory);
        refuse(c, LOG_DEBUG, why);
        return;
    }
    if (s->n_conns > s->cfg.max_connections && live_conns(s) > s->cfg.max_connections) {
        snprintf(why, sizeof why, "the server already has its maximum of %u connections",
                 s->cfg.max_connections);
        refuse(c, LOG_WARN, why);
        return;
    }
    if (s->auth_required) {
        c->preauth = true;
        s->n_preauth++;
    }
    cw_log(s, LOG_DEBUG, "accepted conn=%llu peer=%s", (unsigned long long)c->id, c->peer);
    update_reading(c);
}

static bool loopback_host(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return strcmp(host, "localhost") == 0;
}

/* "tcp://HOST:PORT" of listener i as the kernel bound it (port 0 becomes
 * the real port), into its listen_names slot; the host into host. */
static void name_tcp(cw_server *s, int i, char *host, size_t host_len)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    int port = 0;
    snprintf(host, host_len, "?");
    if (uv_tcp_getsockname(&s->listeners[i].tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&ss, host, host_len);
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else {
            uv_ip6_name((struct sockaddr_in6 *)&ss, host, host_len);
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    snprintf(s->listen_names[i], sizeof s->listen_names[i],
             strchr(host, ':') ? "tcp://[%s]:%d" : "tcp://%s:%d", host, port);
}

/* The common tail of a bound and a passed listener: accepting.  libuv
 * reports a TCP address in use here, not at bind. */
static int start_listener(cw_server *s, int i, const char *addr, cw_err *err)
{
    s->listeners[i].stream.data = s;
    s->n_listeners++;
    int rc = uv_listen(&s->listeners[i].stream, 511, on_connection);
    if (rc)
        return cw_err_set(err, CW_EINVAL, "listen: %s: %s", addr, uv_strerror(rc));
    return 0;
}

/* Whether a socket passed by the service manager already serves name
 * (the same configuration may be used with and without socket
 * activation; binding the address again would fail or, for a Unix
 * socket, be refused as taken by a live server). */
static bool served_by_passed(cw_server *s, const char *name)
{
    for (int j = 0; j < s->life.n_passed && j < s->n_listeners; j++)
        if (strcmp(s->listen_names[j], name) == 0) {
            cw_log(s, LOG_DEBUG, "listen: %s is the socket passed at fd %d", name,
                   SD_LISTEN_FDS_START + j);
            return true;
        }
    return false;
}

static int listen_one(cw_server *s, const char *addr, cw_err *err)
{
    int i = s->n_listeners;
    if (i >= MAX_LISTEN)
        return cw_err_set(err, CW_EINVAL, "listen: at most %d addresses", MAX_LISTEN);
    int rc;
    if (strncmp(addr, "unix:", 5) == 0) {
        const char *path = addr + 5;
        if (!*path)
            return cw_err_set(err, CW_EINVAL, "listen: '%s' has no socket path", addr);
        if (served_by_passed(s, addr))
            return 0;
        if ((rc = cw_life_unix_claim(path, addr, err)))
            return rc;
        if ((rc = uv_pipe_init(s->loop, &s->listeners[i].pipe, 0)) ||
            (rc = uv_pipe_bind(&s->listeners[i].pipe, path)))
            return cw_err_set(err, CW_EINVAL, "listen: cannot bind %s: %s", addr, uv_strerror(rc));
        cw_life_unix_bound(path, &s->listen_files[i]);
        snprintf(s->listen_names[i], sizeof s->listen_names[i], "unix:%s", path);
    } else if (strncmp(addr, "tcp://", 6) == 0) {
        char host[128];
        const char *hp = addr + 6, *colon;
        int port;
        if (*hp == '[') {
            const char *end = strchr(hp, ']');
            if (!end || end[1] != ':' || (size_t)(end - hp - 1) >= sizeof host)
                return cw_err_set(err, CW_EINVAL, "listen: '%s' is not tcp://[v6]:PORT", addr);
            memcpy(host, hp + 1, (size_t)(end - hp - 1));
            host[end - hp - 1] = '\0';
            colon = end + 1;
        } else {
            colon = strrchr(hp, ':');
            if (!colon || (size_t)(colon - hp) >= sizeof host)
                return cw_err_set(err, CW_EINVAL, "listen: '%s' is not tcp://HOST:PORT", addr);
            memcpy(host, hp, (size_t)(colon - hp));
            host[colon - hp] = '\0';
        }
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end || p < 0 || p > 65535 || colon[1] == '\0')
            return cw_err_set(err, CW_EINVAL, "listen: '%s' has a bad port", addr);
        port = (int)p;
        if (strcmp(host, "localhost") == 0)
            strcpy(host, "127.0.0.1");
        char name[sizeof s->listen_names[0]];
        snprintf(name, sizeof name, strchr(host, ':') ? "tcp://[%s]:%d" : "tcp://%s:%d", host,
                 port);
        if (port && served_by_passed(s, name))
            return 0;
        if (!s->auth_required && !loopback_host(host))
            return cw_err_set(err, CW_EINVAL,
                              "listen: refusing to serve %s without authentication; give "
                              "--auth FILE or listen on loopback or a Unix socket",
                              addr);
        struct sockaddr_storage ss;
        if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) &&
            uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss))
            return cw_err_set(err, CW_EINVAL, "listen: '%s' is not an IP address", host);
        if ((rc = uv_tcp_init(s->loop, &s->listeners[i].tcp)) ||
            (rc = uv_tcp_bind(&s->listeners[i].tcp, (struct sockaddr *)&ss, 0)))
            return cw_err_set(err, CW_EINVAL, "listen: cannot bind %s: %s", addr, uv_strerror(rc));
        if ((rc = start_listener(s, i, addr, err)))
            return rc;
        name_tcp(s, i, host, sizeof host);
        return 0;
    } else {
        return cw_err_set(err, CW_EINVAL, "listen: '%s' must start with tcp:// or unix:", addr);
    }
    return start_listener(s, i, addr, err);
}

/* A socket the service manager bound and passed (socket activation): the
 * same rules as one bound here, but its file, if any, is not ours. */
static int adopt_one(cw_server *s, int fd, cw_err *err)
{
    int i = s->n_listeners;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len))
        return cw_err_set(err, CW_EINVAL, "listen: passed socket (fd %d): %s", fd, strerror(errno));
    int rc;
    if (ss.ss_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)&ss;
        if ((rc = uv_pipe_init(s->loop, &s->listeners[i].pipe, 0)) ||
            (rc = uv_pipe_open(&s->listeners[i].pipe, fd)))
            return cw_err_set(err, CW_EINVAL, "listen: passed socket (fd %d): %s", fd,
                              uv_strerror(rc));
        size_t plen = len > offsetof(struct sockaddr_un, sun_path)
                          ? len - offsetof(struct sockaddr_un, sun_path)
                          : 0;
        if (plen && !un->sun_path[0]) /* abstract: a NUL byte, then the name */
            snprintf(s->listen_names[i], sizeof s->listen_names[i], "unix:@%.*s", (int)(plen - 1),
                     un->sun_path + 1);
        else
            snprintf(s->listen_names[i], sizeof s->listen_names[i], "unix:%.*s",
                     (int)strnlen(un->sun_path, plen), un->sun_path);
    } else if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
        char host[128];
        if ((rc = uv_tcp_init(s->loop, &s->listeners[i].tcp)) ||
            (rc = uv_tcp_open(&s->listeners[i].tcp, fd)))
            return cw_err_set(err, CW_EINVAL, "listen: passed socket (fd %d): %s", fd,
                              uv_strerror(rc));
        name_tcp(s, i, host, sizeof host);
        if (!s->auth_required && !loopback_host(host)) {
            s->n_listeners++; /* closed with the others */
            return cw_err_set(err, CW_EINVAL,
                              "listen: refusing to serve the passed socket %s without "
                              "authentication; give --auth FILE or pass a loopback or Unix "
                              "socket",
                              s->listen_names[i]);
        }
    } else {
        return cw_err_set(err, CW_EINVAL,
                          "listen: passed socket (fd %d) is neither TCP nor a Unix socket", fd);
    }
    return start_listener(s, i, s->listen_names[i], err);
}

int cw_listen_all(cw_server *s, cw_err *err)
{
    s->deliver = deliver;
    s->flush = flush;
    uv_idle_init(s->loop, &s->turn);
    s->turn.data = s;
    for (int i = 0; i < s->life.n_passed; i++) {
        int rc = adopt_one(s, SD_LISTEN_FDS_START + i, err);
        if (rc)
            return rc;
    }
    for (int i = 0; i < s->cfg.n_listen; i++) {
        int rc = listen_one(s, s->cfg.listen[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

void cw_close_listeners(cw_server *s)
{
    for (int i = 0; i < s->n_listeners; i++)
        if (!uv_is_closing((uv_handle_t *)&s->listeners[i].stream))
            uv_close((uv_handle_t *)&s->listeners[i].stream, NULL);
    for (int i = 0; i < s->n_listeners; i++)
        if (strncmp(s->listen_names[i], "unix:", 5) == 0)
            cw_life_unix_remove(s->listen_names[i] + 5, &s->listen_files[i]);
}

void cw_close_all(cw_server *s)
{
    for (cw_conn *c = s->conns; c; c = c->next)
        conn_close(c, NULL);
}

/* Stops reading new requests on every connection (shutdown). */
void cw_stop_reading_all(cw_server *s)
{
    for (cw_conn *c = s->conns; c; c = c->next)
        if (c->reading) {
            uv_read_stop(&c->h.stream);
            c->reading = false;
        }
}

/* Pending work across connections, for an orderly shutdown. */
bool cw_conns_quiet(cw_server *s)
{
    for (cw_conn *c = s->conns; c; c = c->next)
        if (!c->closing && (c->pending_writes || c->queued || pending_out(c) || c->more))
            return false;
    return true;
}

void cw_idle_sweep(cw_server *s)
{
    uint64_t now = uv_now(s->loop);
    char why[160];
    for (cw_conn *c = s->conns; c; c = c->next) {
        if (c->closing)
            continue;
        /* Like Redis' soft limit with a time: a client that keeps its
         * answers unread above the soft limit is cut off. */
        if (c->throttled && c->queued > s->cfg.max_output_soft / 2 &&
            now - c->throttled_since_ms > (uint64_t)s->cfg.stall_timeout * 1000) {
            snprintf(why, sizeof why,
                     "client does not read its answers: %zu bytes unread for %u s (hard output "
                     "limit %zu)",
                     c->queued, s->cfg.stall_timeout, s->cfg.max_output);
            conn_close(c, why);
            continue;
        }
        if (c->preauth && now - c->connected_ms > (uint64_t)s->cfg.auth_timeout * 1000) {
            snprintf(why, sizeof why, "no successful auth within %u s of connecting",
                     s->cfg.auth_timeout);
            cw_answer_error(c, 0, CW_EUNAUTH, why);
            c->close_after_flush = true;
            flush(c);
            update_reading(c);
            if (c->queued == 0)
                conn_close(c, why);
            continue;
        }
        if (s->cfg.idle_timeout && !c->pending_writes && c->queued == 0 && !c->throttled &&
            !c->n_watch && now - c->last_active_ms > (uint64_t)s->cfg.idle_timeout * 1000)
            conn_close(c, "idle timeout");
    }
}
