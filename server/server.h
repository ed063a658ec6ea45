/* crosswalkd internals shared by the server's modules: configuration, the
 * server context (the only mutable state the process has), the caller's
 * session, a connection's pending output, connections, write jobs, and the
 * functions each module offers the ones above it.  The floors, bottom up:
 * log.c, frame.c, pack.c, out.c; schema.c; the handlers (m_*.c); methods.c
 * (the table); writer.c; dispatch.c; lifecycle.c; conn.c; config.c;
 * metrics.c, observe.c; main.c.  Nothing here calls LMDB: storage is
 * reached only through the engine API. */
#ifndef CW_SERVER_H
#define CW_SERVER_H

#include "crosswalk/arena.h"
#include "crosswalk/changelog.h"
#include "crosswalk/db.h"
#include "crosswalk/error.h"
#include "crosswalk/model.h"
#include "crosswalk/protocol.h"
#include "config.h"
#include "frame.h"
#include "lifecycle.h"
#include "schema.h"

#include <msgpack.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

/* The project's version, given by the build (CMakeLists.txt, project()). */
#ifndef CW_VERSION
#error "CW_VERSION is defined by the build from the project version"
#endif
#define MAX_LISTEN 16

typedef struct cw_config {
    const char *listen[MAX_LISTEN];
    int n_listen;
    const char *data_dir;
    const char *auth_file;
    size_t map_size, map_max;
    size_t max_message;
    unsigned max_depth;
    unsigned max_connections;
    size_t max_output;      /* hard limit of queued output per connection */
    size_t max_output_soft; /* stop reading above this */
    unsigned idle_timeout;  /* seconds, 0 = none */
    unsigned stall_timeout; /* seconds a client may leave answers unread above the soft limit */
    unsigned auth_timeout;  /* seconds from connect to a successful auth (with --auth) */
    size_t max_write_queue; /* bytes of write jobs in flight (copies and decoded objects) */
    size_t max_memory;      /* input buffers, unsent answers and write jobs together */
    int log_level;          /* 0 error, 1 warn, 2 info, 3 debug */
    /* Logs and metrics (observe.c, log.c, metrics.c).  The zero state is
     * text on stderr with no access, slow-request or metrics output. */
    bool log_json;
    bool access_log; /* one line per request, whatever log_level */
    bool slow_log;   /* a warn line per request of slow_ms or more */
    unsigned slow_ms;
    char log_file[1024]; /* "" = stderr */
    char metrics[256];   /* tcp://HOST:PORT of the metrics listener, "" = none */
    bool no_sync;
    bool no_bootstrap; /* do not load the embedded frameworks */
    bool init;         /* create the data directory when it does not exist */
    const char *config_file;
    int listen_layer;  /* where listen[] came from (config.c): a higher one replaces it */
    cw_arena *strings; /* owns the strings copied from the file and the environment */
} cw_config;

enum { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

typedef enum cw_role { ROLE_NONE = 0, ROLE_AUDITOR, ROLE_EDITOR, ROLE_ADMIN } cw_role;

typedef struct cw_token {
    unsigned char hash[32];
    cw_role role;
    char org[CW_MAX_SLUG + 1]; /* "" for admin */
    char name[64];             /* label for logs; never the token */
} cw_token;

/* Who is calling on a connection: what auth established. */
typedef struct cw_session {
    cw_role role;
    char org[CW_MAX_SLUG + 1]; /* "" unless an org-scoped token */
    unsigned auth_failures;
    bool nvim_errors; /* hello {errors: "nvim"}: errors as [0 or 1, message] */
    uint64_t conn_id; /* for logs */
    char addr[48];    /* the peer's address without its port ("unix" for Unix sockets) */
    char actor[64];   /* who the change log names: the token's label, or "local" */
} cw_session;

/* A packed answer body kept by a render cache and shared, not copied,
 * by every write that sends it (hundreds of kilobytes for a detailed
 * coverage answer). Reference-counted on the loop thread only; the last
 * holder frees it. */
typedef struct cw_blob {
    size_t refs, len;
    char data[];
} cw_blob;

/* One piece of pending output: an owned buffer or a reference to a blob. */
typedef struct cw_seg {
    char *own;     /* malloc'd and owned, or NULL */
    cw_blob *blob; /* one reference held, or NULL */
    size_t len;
} cw_seg;

/* The answers a connection owes and has not handed to the socket yet, in
 * order: when a shared body was sent, what preceded it waits in segs and
 * buf holds what follows.  Answers are packed straight into buf. */
typedef struct cw_out {
    msgpack_sbuffer buf;
    cw_seg *segs;
    size_t nsegs, segs_cap, seg_bytes;
} cw_out;

struct cw_server;

typedef struct cw_conn {
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
        uv_stream_t stream;
    } h;
    struct cw_server *srv;
    uint64_t id;
    int refs; /* handle + jobs in flight */
    bool closing, close_after_flush, reading, blocked, throttled;
    bool more;        /* whole messages left for a later turn (fairness) */
    bool wait_writer; /* a write waits for room in the writer's queue */
    bool preauth;     /* --auth and not authenticated yet */
    bool wait_memory; /* not reading: the server is at its memory budget */
    size_t msg_cost;  /* the message being dispatched: its bytes and decoded objects */
    size_t job_bytes; /* cost of this connection's write jobs in flight */
    char peer[80];
    /* input */
    unsigned char *in;
    size_t in_len, in_cap;
    cw_frame frame;
    cw_out out;
    size_t queued; /* bytes handed to uv_write and not yet written */
    unsigned pending_writes;
    cw_session who;
    uint64_t last_active_ms;
    uint64_t connected_ms;
    uint64_t throttled_since_ms;
    unsigned n_watch; /* status feed subscriptions (watch.c); exempt from the idle timeout */
    struct cw_conn *prev, *next;
} cw_conn;

/* One write request travelling to the writer thread and back. */
typedef struct cw_job {
    struct cw_job *next;
    cw_conn *conn;
    uint64_t msgid;
    const cw_method *m;
    size_t method_index;
    char *raw;                  /* owned copy of the request's bytes: msgpack-c
                             strings point into it, not into the
                             connection's reusable input buffer */
    msgpack_unpacked msg;       /* owns the request's objects */
    const msgpack_object *args; /* map or NULL */
    msgpack_sbuffer reply;
    bool failed;      /* the reply is an error */
    bool nvim_errors; /* the connection's error shape when it was queued */
    size_t cost;      /* counted against the writer's queue budget until delivered */
    uint64_t start_ns;
    size_t raw_len; /* the request's bytes, for the access log */
    int code;       /* the CW_E* code of a failed reply */
    /* Who the change log names, copied when the job is queued, and what
     * the committed write changed (its log entry), set by the writer. */
    char actor[64];
    const char *role;
    cw_change_info change;
} cw_job;

#define LAT_BUCKETS 24 /* log2 buckets of microseconds; the last takes all above */

typedef struct cw_method_stats {
    uint64_t requests, errors;
    uint64_t lat[LAT_BUCKETS], lat_sum_us; /* answered requests, as cw_server's */
} cw_method_stats;

#define RENDER_SLOTS 16
#define AUTH_BUCKETS 256
#define REQ_RENDER_SLOTS 4096

typedef struct cw_server {
    cw_config cfg;
    uv_loop_t *loop;
    cw_db *db;
    cw_token *tokens;
    size_t n_tokens;
    bool auth_required;
    /* listeners */
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
        uv_stream_t stream;
    } listeners[MAX_LISTEN];
    int n_listeners;
    char listen_names[MAX_LISTEN][160];
    cw_sockfile listen_files[MAX_LISTEN]; /* Unix sockets bound here, removed at stop */
    /* connections */
    cw_conn *conns;
    unsigned n_conns;
    unsigned n_preauth; /* connections not authenticated yet (with --auth) */
    uint64_t next_conn_id;
    /* Fairness: connections with whole messages left over run again on
     * the next loop turn (an idle handle), after every other socket. */
    uv_idle_t turn;
    unsigned n_more, n_wait_writer;
    size_t job_bytes; /* cost of all write jobs in flight */
    size_t mem_in;    /* every connection's input buffer */
    size_t mem_out;   /* every connection's answers handed to the socket, unsent */
    unsigned n_wait_memory;
    bool at_budget; /* above --max-memory, until back under three quarters of it */
    uint64_t last_auth_warn_ms, auth_failures_quiet;
    /* Failed auth per peer address: a bucket of attempts that refills
     * (auth.c), and the failures since the last log line about them. */
    struct cw_auth_bucket {
        char addr[48];
        double tokens;
        uint64_t at_ms;
    } auth_buckets[AUTH_BUCKETS];
    uint64_t auth_fail_logged_ms, auth_fails_unlogged, auth_refused_unlogged;
    uv_timer_t idle_timer;
    /* writer thread */
    pthread_t writer;
    pthread_mutex_t wlock;
    pthread_cond_t wcond;
    cw_job *wq_head, *wq_tail;
    size_t wq_len;
    cw_job *done_head, *done_tail;
    bool writer_stop;
    bool writer_busy; /* a group is being written (under wlock) */
    /* No writer thread: writes run inline in their own transactions (the
     * fuzzers and other single-threaded embedders). */
    bool inline_writes;
    uv_async_t done_async;
    /* Hands a finished write job back to its connection (loop thread);
     * set by conn.c, called by the writer's completion. */
    void (*deliver)(struct cw_server *s, cw_job *j);
    /* Hands a connection's pending output to its socket, for output packed
     * outside a request (the status feed's notifications); set by conn.c. */
    void (*flush)(cw_conn *c);
    /* signals (SIGHUP reloads the --auth file); the data directory's lock,
     * passed sockets (lifecycle.c) */
    uv_signal_t sigterm, sigint, sighup;
    cw_life life;
    /* Logs: the descriptor lines go to (0: stderr; a --log-file is kept
     * above 2 and replaced in place on SIGHUP, so the writer thread's
     * lines never see it closed), and whether stderr is the journal. */
    int log_fd;
    bool log_journal;
    uv_signal_t sighup_log;     /* reopens --log-file (a second SIGHUP handle) */
    struct cw_metrics *metrics; /* metrics.c's HTTP listener, or NULL */
    bool stopping;
    uv_timer_t stop_timer;
    uint64_t stop_deadline_ms;
    /* stats */
    uint64_t start_ms;
    uint64_t bytes_in, bytes_out, total_conns;
    _Atomic uint64_t commits, grouped_writes; /* written by the writer thread */
    uint64_t lat[LAT_BUCKETS], lat_sum_us;
    cw_method_stats *mstats; /* per method-table entry */
    uint64_t unknown_methods, protocol_errors;
    /* Packed bodies of shared engine answers (m_query.c, render cache). */
    struct cw_rendered {
        uint64_t answer_id, used;
        cw_blob *blob; /* one reference held by the cache */
    } rendered[RENDER_SLOTS];
    uint64_t render_tick;
    /* requirement.get answers, direct-mapped by answer id */
    struct cw_rendered *req_rendered; /* REQ_RENDER_SLOTS, allocated on first use */
    /* Reused for every request decoded on the loop thread. */
    msgpack_zone zone;
    /* Answer arena of the request being answered on the loop thread. */
    cw_arena *req_arena;
    /* The status feed's groups and subscriptions (watch.c), made on the
     * first subscription. */
    struct cw_watch *watch;
} cw_server;

/* ---- log.c: logging and counters ---- */
/* One named field of a log line: a string (s, n bytes or up to its NUL
 * when n is 0), an integer (i) or a real (d, written with 3 decimals). */
typedef struct cw_kv {
    const char *key;
    char type; /* 's', 'i' or 'd' */
    const char *s;
    size_t n;
    int64_t i;
    double d;
} cw_kv;
#define KV_S(k, v)                                                                                 \
    {                                                                                              \
        (k), 's', (v), 0, 0, 0                                                                     \
    }
#define KV_SN(k, v, len)                                                                           \
    {                                                                                              \
        (k), 's', (v), (len), 0, 0                                                                 \
    }
#define KV_I(k, v)                                                                                 \
    {                                                                                              \
        (k), 'i', NULL, 0, (int64_t)(v), 0                                                         \
    }
#define KV_D(k, v)                                                                                 \
    {                                                                                              \
        (k), 'd', NULL, 0, 0, (v)                                                                  \
    }
/* A line of msg alone (printf-style), when level is within --log-level.
 * Safe from any thread. */
void cw_log(const cw_server *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A line of msg and the n fields of kv (the caller's), when level is
 * within --log-level.  Safe from any thread. */
void cw_log_kv(const cw_server *s, int level, const char *msg, const cw_kv *kv, size_t n);
#define CW_LOG_KV(s, level, msg, ...)                                                              \
    cw_log_kv((s), (level), (msg), (const cw_kv[]){__VA_ARGS__},                                   \
              sizeof((const cw_kv[]){__VA_ARGS__}) / sizeof(cw_kv))
/* Sends lines to cfg.log_file when one is set (0, or CW_EINVAL naming the
 * file and why), else to stderr, noting whether that is the journal. */
int cw_log_open(cw_server *s, cw_err *err);
/* Opens cfg.log_file again (after a rotation renamed it): lines go to the
 * new file from now on.  0 when there is no log file. */
int cw_log_reopen(cw_server *s, cw_err *err);
void cw_log_close(cw_server *s);
uint64_t cw_now_ns(void);
/* How one request ended, for the latency histograms and the access log.
 * Every pointer is the caller's and is read during the call only. */
typedef struct cw_request_rec {
    uint64_t conn;
    const char *peer, *role;
    const char *method; /* the table's name; NULL when none was found */
    long method_index;  /* its place in the table, or -1 */
    const char *org;    /* the organisation the call names, or NULL */
    size_t org_len;
    int code; /* 0 or the CW_E* code it was answered with */
    size_t bytes_in, bytes_out;
    uint64_t start_ns;
    bool timed; /* counted in the latency histograms (reached its handler) */
} cw_request_rec;
/* Loop thread only (it counts into s). */
void cw_request_done(cw_server *s, const cw_request_rec *r);

/* ---- out.c: pending output ---- */
void cw_out_init(cw_out *o);
void cw_out_free(cw_out *o);
/* Bytes packed and not yet handed to the socket. */
size_t cw_out_pending(const cw_out *o);
/* Returns a blob holding a copy of sb's bytes with one reference, or NULL
 * when out of memory; sb is left as it was (the caller still owns it). */
cw_blob *cw_blob_new(const msgpack_sbuffer *sb);
void cw_blob_unref(cw_blob *b);
/* Appends b's bytes without copying them (o takes a reference); everything
 * already packed goes before it. Must be the last part of an answer:
 * nothing packed earlier can be rolled back after it. Returns 0, or
 * CW_ENOMEM with nothing changed. */
int cw_out_send_blob(cw_out *o, cw_blob *b);
/* Appends all pending output, in order, to to (caller-owned) and empties
 * o: for callers that drive cw_dispatch without a socket. */
void cw_out_take(cw_out *o, msgpack_sbuffer *to);
/* Hands all pending output over for one socket write: either one owned
 * buffer (*base, *nsegs = 0) or the segment array (*segs, *nsegs; the
 * caller owns both and frees them with cw_segs_free).  *len is the byte
 * count. Returns CW_ENOMEM with nothing changed. */
int cw_out_detach(cw_out *o, char **base, cw_seg **segs, size_t *nsegs, size_t *len);
void cw_segs_free(cw_seg *segs, size_t n);

/* ---- bulk.c: bulk writes, real or dry ---- */
/* fn(k->w, ctx, err), or with dry_run fn inside a transaction that is then
 * thrown away (cw_write_trial).  Returns fn's result. */
int cw_write_or_try(cw_call *k, bool dry_run, cw_write_fn fn, void *ctx, cw_err *err);
/* The engine call behind a bulk method: writes args (borrowed) with w. */
typedef int (*cw_bulk_fn)(cw_db *db, cw_wtxn *w, const void *args, cw_bulk_stats *st, cw_err *err);
/* Runs write for real, or (dry_run) as a dry run after the stand-ins of
 * assume (may be NULL; its org means org, the call's organisation), and
 * packs the counts, with dry_run: true for a dry run.  assume without
 * dry_run is invalid_params.  Returns write's result, with nothing packed
 * when it failed. */
int cw_bulk_answer(cw_call *k, bool dry_run, const cw_assume *assume, const char *org,
                   cw_bulk_fn write, const void *args, msgpack_packer *pk, cw_err *err);

/* ---- m_query.c ---- */
/* Frees the render cache (at shutdown). */
void cw_render_cache_free(cw_server *s);

/* ---- auth.c ---- */
/* Reads the token file at path and, only when all of it is valid,
 * replaces the tokens in force (at start, and on SIGHUP: a bad file
 * leaves the old tokens; connections keep the role they authenticated
 * with).  Returns 0 or CW_EINVAL naming the file and line. */
int cw_auth_load(cw_server *s, const char *path, cw_err *err);
void cw_sha256(const void *data, size_t len, unsigned char out[32]);
const cw_token *cw_auth_find(const cw_server *s, const char *token, size_t len);
const char *cw_role_name(cw_role r);
/* Whether who's address may try a token now (not when its failures have
 * used up its attempts; they come back at one a second, up to ten). */
bool cw_auth_may_try(cw_server *s, const cw_session *who);
/* Counts a failed attempt against who's address, and logs the failures
 * of the last ten seconds in one line, never one line per attempt. */
void cw_auth_failed(cw_server *s, const cw_session *who, bool refused);

/* ---- writer.c ---- */
int cw_writer_start(cw_server *s);
void cw_writer_submit(cw_server *s, cw_job *j);
void cw_writer_stop(cw_server *s);
void cw_job_free(cw_job *j);

/* ---- dispatch.c ---- */
enum { DISPATCH_DONE = 0, DISPATCH_BLOCKED = 1, DISPATCH_WAIT = 2 };
/* Runs one request: envelope, permissions, then the handler (reads) or the
 * writer (writes).  Takes msg unless it returns DISPATCH_BLOCKED (a read
 * behind this connection's pending writes, to be retried after them) or
 * DISPATCH_WAIT (a write that the writer's queue budget has no room for
 * yet; c->msg_cost is what it would add).
 * own_raw may be NULL; when *own_raw is set, raw is that malloc'd copy and
 * msg owns its zone, and a write job may adopt both (then *own_raw is set
 * to NULL; otherwise the caller frees it after the call). */
int cw_dispatch(cw_server *s, cw_conn *c, msgpack_unpacked *msg, const char *raw, size_t raw_len,
                char **own_raw);
/* Packs an error answer for msgid into c's output: the one place a code
 * becomes an answer. */
void cw_answer_error(cw_conn *c, uint64_t msgid, int code, const char *msg);
/* A message refused before it could be read as a request (too large, not
 * msgpack): answered with code and why, counted as a protocol error and
 * written to the access log with bytes_in, the bytes it came with. */
void cw_refuse_message(cw_server *s, cw_conn *c, int code, const char *why, size_t bytes_in);
/* Counts a write the writer answered and writes its access line (loop
 * thread, before the job is freed). */
void cw_job_done(cw_server *s, const cw_job *j);

/* ---- metrics.c: the Prometheus listener ---- */
/* Reads a --metrics address, tcp://HOST:PORT with a numeric IPv4 or [IPv6]
 * host (or localhost), into *ss: 0, or CW_EINVAL saying what is wrong. */
int cw_metrics_addr(const char *addr, struct sockaddr_storage *ss, cw_err *err);
/* Serves GET /metrics on cfg.metrics, when one is set, from the loop
 * thread: 0, or CW_EINVAL naming the address and why. */
int cw_metrics_start(cw_server *s, cw_err *err);
/* Closes the listener (its handles close on the loop's next turn). */
void cw_metrics_stop(cw_server *s);

/* ---- observe.c: options and the life of logs and metrics ---- */
/* Sets the logs-and-metrics option name (as its long flag is spelled,
 * without the dashes: log-level, log-format, log-file, access-log, slow-ms,
 * metrics) from value (NULL for a flag given alone): 0, CW_EINVAL saying
 * what is wrong with the value, or CW_ENOENT when name is none of these.
 * Strings are copied into cfg. */
int cw_observe_option(cw_config *cfg, const char *name, const char *value, cw_err *err);
/* Opens the log (cw_log_open) and starts the SIGHUP handle that reopens
 * it; s->loop must be set. */
int cw_observe_start(cw_server *s, cw_err *err);
/* Closes the SIGHUP handle and the metrics listener. */
void cw_observe_stop(cw_server *s);

/* ---- conn.c ---- */
/* Also sets s->deliver. */
int cw_listen_all(cw_server *s, cw_err *err);
void cw_conn_unref(cw_conn *c);
void cw_close_listeners(cw_server *s);
void cw_close_all(cw_server *s);
void cw_stop_reading_all(cw_server *s);
bool cw_conns_quiet(cw_server *s);
void cw_idle_sweep(cw_server *s);

/* Whether a query with an as_of judges the records as recorded then (the
 * default) or as they are now (as_recorded: false); without as_of it asks
 * about now, where the two are the same and the history is not read. */
static inline bool cw_as_recorded(bool has_as_of, bool has_flag, bool flag)
{
    return has_as_of && (!has_flag || flag);
}

#endif
