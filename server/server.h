/* crosswalkd internals shared by the server's modules: configuration,
 * the server context (the only mutable state the process has), connections,
 * write jobs for the writer thread, the method table and the argument and
 * answer helpers handlers use.  Nothing here calls LMDB: storage is reached
 * only through the engine API. */
#ifndef CW_SERVER_H
#define CW_SERVER_H

#include "crosswalk/arena.h"
#include "crosswalk/db.h"
#include "crosswalk/error.h"
#include "crosswalk/model.h"
#include "crosswalk/protocol.h"
#include "frame.h"

#include <msgpack.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define CW_VERSION "0.1.0"
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
    int log_level;          /* 0 error, 1 warn, 2 info, 3 debug */
    bool no_sync;
    bool no_bootstrap; /* do not load the embedded frameworks */
} cw_config;

enum { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

typedef enum cw_role { ROLE_NONE = 0, ROLE_AUDITOR, ROLE_EDITOR, ROLE_ADMIN } cw_role;

typedef struct cw_token {
    unsigned char hash[32];
    cw_role role;
    char org[CW_MAX_SLUG + 1]; /* "" for admin */
    char name[64];             /* label for logs; never the token */
} cw_token;

struct cw_server;

/* A packed answer body kept by a render cache and shared, not copied,
 * by every write that sends it (hundreds of kilobytes for a detailed
 * coverage answer). Reference-counted on the loop thread only; the last
 * holder frees it. */
typedef struct cw_blob {
    size_t refs, len;
    char data[];
} cw_blob;

/* One piece of a connection's pending output: an owned buffer or a
 * reference to a blob. */
typedef struct cw_seg {
    char *own; /* malloc'd and owned, or NULL */
    cw_blob *blob; /* one reference held, or NULL */
    size_t len;
} cw_seg;

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
    char peer[80];
    /* input */
    unsigned char *in;
    size_t in_len, in_cap;
    cw_frame frame;
    /* output: packed answers not yet handed to uv_write; when a shared
     * answer body was sent, what preceded it waits in segs (in order)
     * and out holds what follows */
    msgpack_sbuffer out;
    struct cw_seg *segs;
    size_t nsegs, segs_cap, seg_bytes;
    size_t queued; /* bytes handed to uv_write and not yet written */
    unsigned pending_writes;
    /* auth */
    cw_role role;
    char org[CW_MAX_SLUG + 1];
    unsigned auth_failures;
    uint64_t last_active_ms;
    uint64_t throttled_since_ms;
    struct cw_conn *prev, *next;
} cw_conn;

struct cw_method;

/* One write request travelling to the writer thread and back. */
typedef struct cw_job {
    struct cw_job *next;
    cw_conn *conn;
    uint64_t msgid;
    const struct cw_method *m;
    char *raw;            /* owned copy of the request's bytes: msgpack-c
                             strings point into it, not into the
                             connection's reusable input buffer */
    msgpack_unpacked msg; /* owns the request's objects */
    const msgpack_object *args; /* map or NULL */
    msgpack_sbuffer reply;
    bool failed; /* the reply is an error */
    uint64_t start_ns;
} cw_job;

typedef struct cw_method_stats {
    uint64_t requests, errors;
} cw_method_stats;

#define LAT_BUCKETS 24 /* log2 buckets of microseconds */

#define RENDER_SLOTS 16
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
    /* connections */
    cw_conn *conns;
    unsigned n_conns;
    uint64_t next_conn_id;
    uv_timer_t idle_timer;
    /* writer thread */
    pthread_t writer;
    pthread_mutex_t wlock;
    pthread_cond_t wcond;
    cw_job *wq_head, *wq_tail;
    size_t wq_len;
    cw_job *done_head, *done_tail;
    bool writer_stop;
    /* No writer thread: writes run inline in their own transactions (the
     * fuzzers and other single-threaded embedders). */
    bool inline_writes;
    uv_async_t done_async;
    /* signals */
    uv_signal_t sigterm, sigint;
    bool stopping;
    uv_timer_t stop_timer;
    /* stats */
    uint64_t start_ms;
    uint64_t bytes_in, bytes_out, total_conns;
    _Atomic uint64_t commits, grouped_writes; /* written by the writer thread */
    uint64_t lat[LAT_BUCKETS];
    cw_method_stats *mstats; /* per method-table entry */
    uint64_t unknown_methods, protocol_errors;
    /* Packed bodies of shared engine answers (methods.c, render cache). */
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
} cw_server;

/* Frees the render cache (at shutdown). */
void cw_render_cache_free(cw_server *s);

/* ---- method table ---- */
enum {
    M_READ = 1,    /* answered on the loop thread */
    M_WRITE = 2,   /* sent to the writer thread */
    M_ADMIN = 4,   /* admin role only */
    M_ORG = 8,     /* org-scoped: the org argument must be the token's org */
    M_OPEN = 16,   /* allowed before authentication */
    M_EDITOR = 32, /* writes need editor (or admin) */
};

/* A handler answers one request: it packs the result into pk and returns
 * 0, or returns a CW_E* code with err filled (nothing packed).  w is the
 * shared write transaction for M_WRITE methods, NULL for reads.  a is an
 * arena that lives for this request only. */
typedef int (*cw_handler)(cw_server *s, cw_conn *c, const msgpack_object *args, cw_wtxn *w,
                          cw_arena *a, msgpack_packer *pk, cw_err *err);

typedef struct cw_method {
    const char *name;
    cw_handler fn;
    unsigned flags;
    const char *keys; /* accepted argument names, space separated */
} cw_method;

const cw_method *cw_method_find(const char *name, size_t len);
size_t cw_method_count(void);
const cw_method *cw_method_at(size_t i);

/* ---- arguments (args.c) ---- */
const msgpack_object *arg_get(const msgpack_object *map, const char *key);
/* Each returns 0 or CW_EINVAL with "field: expected ..." in err.  Strings
 * are copied into a with a NUL; embedded NULs are refused. */
int obj_to_str(const msgpack_object *o, const char *field, cw_arena *a, const char **out,
               cw_err *err);
int arg_str(const msgpack_object *map, const char *key, bool required, cw_arena *a,
            const char **out, cw_err *err);
int arg_int(const msgpack_object *map, const char *key, bool required, int64_t lo, int64_t hi,
            int64_t *out, cw_err *err);
int arg_bool(const msgpack_object *map, const char *key, bool *out, cw_err *err);
int obj_to_time(const msgpack_object *o, const char *field, cw_time *out, cw_err *err);
int arg_time(const msgpack_object *map, const char *key, bool required, cw_time *out,
             cw_err *err);
int arg_array(const msgpack_object *map, const char *key, bool required,
              const msgpack_object_array **out, cw_err *err);
int arg_check_keys(const msgpack_object *map, const char *allowed, cw_err *err);

/* ---- answers (pack helpers) ---- */
void pk_str(msgpack_packer *pk, const char *s); /* NULL packs nil */
void pk_key(msgpack_packer *pk, const char *k);
void pk_kv_str(msgpack_packer *pk, const char *k, const char *v);
void pk_kv_int(msgpack_packer *pk, const char *k, int64_t v);
void pk_kv_bool(msgpack_packer *pk, const char *k, bool v);
void pk_kv_double(msgpack_packer *pk, const char *k, double v);
void pk_kv_time(msgpack_packer *pk, const char *k, cw_time t);
void pk_time(msgpack_packer *pk, cw_time t);

/* Packs a full response [1, msgid, error, result]. */
void cw_pack_error(msgpack_packer *pk, uint64_t msgid, int proto_code, const char *msg);

/* ---- auth (auth.c) ---- */
int cw_auth_load(cw_server *s, const char *path, cw_err *err);
void cw_sha256(const void *data, size_t len, unsigned char out[32]);
const cw_token *cw_auth_find(const cw_server *s, const char *token, size_t len);

/* ---- writer (writer.c) ---- */
int cw_writer_start(cw_server *s);
void cw_writer_submit(cw_server *s, cw_job *j);
void cw_writer_stop(cw_server *s);
void cw_job_free(cw_job *j);

/* ---- connections (conn.c) ---- */
int cw_listen_all(cw_server *s, cw_err *err);
void cw_conn_deliver(cw_server *s, cw_job *j); /* loop thread: a write's answer */
void cw_conn_unref(cw_conn *c);
void cw_close_listeners(cw_server *s);
void cw_close_all(cw_server *s);
void cw_record_latency(cw_server *s, uint64_t start_ns);
/* Returns a blob holding a copy of sb's bytes with one reference, or NULL
 * when out of memory; sb is left as it was (the caller still owns it). */
cw_blob *cw_blob_new(const msgpack_sbuffer *sb);
void cw_blob_unref(cw_blob *b);
/* Appends b's bytes to c's output without copying them (c takes a
 * reference); everything already packed for c goes before it. Must be the
 * last part of an answer: nothing packed earlier can be rolled back after
 * it. Returns 0, or CW_ENOMEM with nothing changed. */
int cw_conn_send_blob(cw_conn *c, cw_blob *b);
/* Appends all of c's pending output, in order, to to (caller-owned) and
 * empties it: for callers that drive cw_dispatch without a socket. */
void cw_conn_take_output(cw_conn *c, msgpack_sbuffer *to);
uint64_t cw_now_ns(void);

/* Runs a request: permissions, then the handler (reads) or the writer. */
enum { DISPATCH_DONE = 0, DISPATCH_BLOCKED = 1 };
/* Runs one request: envelope, permissions, then the handler (reads) or the
 * writer (writes).  Takes msg unless it returns DISPATCH_BLOCKED (a read
 * behind this connection's pending writes, to be retried after them).
 * own_raw may be NULL; when *own_raw is set, raw is that malloc'd copy and
 * msg owns its zone, and a write job may adopt both (then *own_raw is set
 * to NULL; otherwise the caller frees it after the call). */
int cw_dispatch(cw_server *s, cw_conn *c, msgpack_unpacked *msg, const char *raw,
                size_t raw_len, char **own_raw);

/* ---- logging ---- */
void cw_log(const cw_server *s, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));


void cw_stop_reading_all(cw_server *s);
bool cw_conns_quiet(cw_server *s);
void cw_idle_sweep(cw_server *s);

#endif
