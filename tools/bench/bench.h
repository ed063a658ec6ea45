/* crosswalk-bench's shared parts: the options every subcommand reads, the
 * small utilities, the blocking client of the setup phases (over the
 * tools' msgpack-RPC client, tools/rpc/), the shipped catalogue as seen
 * through the protocol, the generated evidence items, the latency
 * histogram and the one-ping probe.  Each subcommand is one file: gen.c,
 * evidence_csv.c, run.c, load.c, idle.c, startup.c, scale.c; main.c reads the
 * command line.
 *
 * Ownership: what a cw_* function here returns allocated (cw_strs, the
 * cw_reqs it fills, cw_xmalloc'd memory) belongs to the caller, who frees
 * it with the matching *_free or free(); failures end the process through
 * cw_die, so no function returns half a result. */
#ifndef CW_BENCH_H
#define CW_BENCH_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

/* Requests are packed with the common msgpack idioms, the ones the
 * server reads them with. */
#include "crosswalk/mpack.h"
#include "rpc.h"

/* ---- options (main.c) ---- */

typedef struct {
    const char *server;
    uint64_t seed;
    unsigned orgs, controls, evidence, batch, exclusions;
    unsigned findings; /* gen: open audit findings per organisation */
    /* evidence-csv */
    uint64_t rows;
    const char *org;
    const char *out;
    /* run */
    unsigned connections, pipeline, threads;
    double duration, warmup;
    const char *scenarios[32];
    unsigned nscenarios;
    const char *json;
    /* load */
    uint64_t items;
    const char *data_dir;
    bool no_sync;
    /* idle */
    long pid;
    double settle;
    /* startup, scale */
    const char *crosswalkd;
    unsigned runs;
    /* scale: evidence counts of the one-organisation steps, and the
     * many-organisations step */
    const char *steps;
    unsigned tenants, tenant_evidence;
    /* feed: subscribers that read, and that never read */
    unsigned subscribers, never_read;
} cw_opts;

/* The subcommands. */
void cw_gen(const cw_opts *o);
void cw_evidence_csv(const cw_opts *o);
void cw_run(const cw_opts *o);
void cw_load(const cw_opts *o);
void cw_idle(const cw_opts *o);
void cw_startup(const cw_opts *o);
void cw_scale(const cw_opts *o);
void cw_echo(const cw_opts *o);
void cw_cpu(const cw_opts *o);
void cw_feed(const cw_opts *o);

/* ---- a crosswalkd of the bench's own (startup.c) ---- */

/* Starts o->crosswalkd with --data data --listen unix:sock and the NULL-
 * terminated extra arguments (may be NULL), its output appended to log,
 * and waits for its first answered ping (*ms: fork to that answer).
 * Returns its pid; dies naming `what` when it exits or stays silent 30 s. */
pid_t cw_server_start(const cw_opts *o, const char *data, const char *sock, const char *log,
                      const char *what, const char *const *extra, double *ms);
/* SIGTERM, then the exit status must be 0 (else the log is printed and
 * the bench dies). */
void cw_server_stop(pid_t pid, const char *log, const char *what);

/* ---- figures of one scenario (run.c) ---- */

typedef struct {
    double rps, p50_us, p99_us;
    uint64_t errors, sent; /* sent: every request of the phase, warm-up included */
} cw_figures;
/* Runs ping and then the scenario named on o->server, one phase each as
 * `run` does (o->connections, o->duration, o->warmup), and gives both. */
void cw_run_figures(const cw_opts *o, const char *scenario, cw_figures *ping, cw_figures *fig);

/* ---- small utilities (shared.c) ---- */

/* Prints "crosswalk-bench: message" and exits 1. */
void cw_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* malloc / realloc / strndup that die when out of memory; the caller frees. */
void *cw_xmalloc(size_t n);
void *cw_xrealloc(void *p, size_t n);
char *cw_xstrndup(const char *s, size_t n);
/* CLOCK_MONOTONIC in nanoseconds.  Inline, like the two below: the load
 * generator calls them for every request. */
static inline uint64_t cw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
void cw_sleep_s(double s);
/* Writes before as it is (the JSON text up to a value, such as
 * ", \"org\": ") and then s as a JSON string, quoted and escaped. */
void cw_json_str(FILE *f, const char *before, const char *s);
/* The --json FILE of a command: "-" is standard output; failures are
 * fatal.  Close it with cw_json_close (which leaves stdout open). */
FILE *cw_json_open(const char *path);
void cw_json_close(FILE *f, const char *path);
/* Removes a directory tree (the baseline environment, startup's data). */
void cw_rmtree(const char *dir);

/* splitmix64: tiny, fast, and fully specified, so a seed gives the same
 * dataset on every machine and libc (rand() would not). */
typedef struct {
    uint64_t s;
} cw_rng;

static inline uint64_t cw_rng_next(cw_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); the modulo bias is negligible for the small n used. */
static inline uint32_t cw_rng_below(cw_rng *r, uint32_t n)
{
    return n ? (uint32_t)(cw_rng_next(r) % n) : 0;
}

/* ---- msgpack reading helpers (shared.c) ---- */

bool cw_obj_is_str(const msgpack_object *o);
/* A copy of a str or bin (anything else gives ""); the caller frees it. */
char *cw_obj_strdup(const msgpack_object *o);
/* The value under key in map m, or NULL. */
const msgpack_object *cw_map_get(const msgpack_object *m, const char *key);

/* ---- connections (shared.c) ---- */

/* Connects to ADDR (tcp://HOST:PORT, HOST:PORT or unix:PATH, as crosswalkd
 * accepts) with TCP_NODELAY.  cw_connect_try returns -1 with errno set when
 * nothing accepted the connection (startup polls with it); a malformed
 * address is fatal.  cw_connect dies on any failure. */
int cw_connect_try(const char *addr);
int cw_connect(const char *addr);

/* The blocking client of gen, load and the setup of run (a cw_rpc opened
 * with cw_client_open, closed with cw_rpc_close).  Build a request with
 * cw_rpc_begin(c, method, nargs) and pack the pairs into c->pk, then
 * cw_call.  An error answer is fatal for gen and load, whose data must be
 * complete, and reported with the server's message. */
void cw_client_open(cw_rpc *c, const char *addr);
/* Writes all n bytes or dies. */
void cw_write_all(int fd, const void *p, size_t n);
/* Waits for the next answer on the connection.  The result lives in *out
 * (caller destroys it); *msgid, when asked for, gets the answer's msgid. */
const msgpack_object *cw_recv(cw_rpc *c, const char *what, msgpack_unpacked *out, uint64_t *msgid);
/* Sends the buffered request and waits for its answer (see cw_recv). */
const msgpack_object *cw_call(cw_rpc *c, const char *what, msgpack_unpacked *out);

/* Sends one ping with `msgid` on a blocking socket and reads its answer.
 * Returns 0 when "pong" came back for that msgid, -1 when the server closed
 * the connection or answered otherwise (why, in *why). */
int cw_ping_fd(int fd, uint32_t msgid, const char **why);

/* ---- the shipped catalogue as seen through the protocol (shared.c) ---- */

typedef struct {
    char *fw;
    char *id;
} cw_req;

typedef struct {
    cw_req *v;
    size_t n, cap;
} cw_reqs;

/* Appends (a copy of fw, id); id is taken over (malloc'd by the caller). */
void cw_reqs_push(cw_reqs *r, const char *fw, char *id);
void cw_reqs_free(cw_reqs *r);

typedef struct {
    char **v;
    size_t n;
} cw_strs;

void cw_strs_free(cw_strs *s);
/* framework.list, sorted by slug. */
cw_strs cw_fetch_frameworks(cw_rpc *c);
/* requirement.list of fw (leaves only, if asked), appended to out. */
void cw_fetch_requirements(cw_rpc *c, const char *fw, bool leaves_only, cw_reqs *out);

/* ---- generated evidence (items.c) ---- */

/* Fixed epoch for generated times: deterministic data must not depend on
 * the clock.  2025-06-01T00:00:00Z; collection spreads over 540 days so,
 * read "now", evidence is a mix of current, expired and failing. */
#define CW_GEN_EPOCH 1748736000ll
#define CW_DAY 86400ll

extern const char *const cw_kinds[6];
extern const char *const cw_sources[5];
extern const char *const cw_results[3];

/* One evidence item's random choices; shared by gen and load (packed) and
 * evidence-csv (written), which draw the same way for consistency. */
typedef struct {
    unsigned c1, c2; /* control numbers, c2 0 when only one */
    unsigned kind, source;
    int64_t collected, valid; /* valid 0: no valid_until */
    int result;               /* 0 pass, 1 fail, 2 unknown */
    bool sha;
} cw_ev;

void cw_ev_draw(cw_rng *r, unsigned controls, cw_ev *e);
/* 64 hex digits from four draws of r into hex (not NUL-terminated). */
void cw_hex64(cw_rng *r, char hex[64]);
/* Draws one evidence item and packs it as the map evidence.put and
 * evidence.load take. */
void cw_pk_ev_item(msgpack_packer *pk, cw_rng *rng, unsigned controls, const char *eid, uint64_t n,
                   const char *uri);

/* ---- latency histogram (shared.c) ---- */

/* Log-linear buckets over nanoseconds: exact below 128 ns, then 64
 * sub-buckets per power of two (< 1.6 % error), which is plenty for
 * p50/p99/p999 and costs a fixed 30 KiB per scenario with no allocation in
 * the hot loop. */
#define CW_H_SUB 64
#define CW_H_BUCKETS (128 + CW_H_SUB * 58)

typedef struct {
    uint64_t b[CW_H_BUCKETS];
    uint64_t count, max;
} cw_hist;

void cw_h_add(cw_hist *h, uint64_t v);
double cw_h_quantile_us(const cw_hist *h, double q);

#endif
