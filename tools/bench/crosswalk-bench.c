/* crosswalk-bench: the benchmark tool of issue 7.  Its jobs are all done
 * purely over the msgpack-RPC protocol (it never links the engine, so what
 * it measures is what a real client sees):
 *
 *   gen           builds a deterministic dataset (3 organisations, their
 *                 controls linked to shipped leaf requirements, evidence
 *                 with mixed results and validity windows, a few Annex A
 *                 scope exclusions) from a seeded PRNG;
 *   evidence-csv  writes a large evidence CSV in the CLI's import format for
 *                 `crosswalk load` timing;
 *   run           a closed-loop load generator: N connections each keeping
 *                 `pipeline` requests in flight, one scenario after another
 *                 on the same connections, always starting with `ping` so
 *                 every figure can be read as a ratio to a baseline taken in
 *                 the same run (absolute numbers drift on a shared machine);
 *   load          evidence.load of a million generated items in batches,
 *                 then, as the baseline in the same run, the same records in
 *                 a raw LMDB put loop on a fresh local environment (the only
 *                 use of liblmdb here: a local baseline, never the server's
 *                 store);
 *   idle          the server's resident memory before and after opening
 *                 many connections that each answered a ping;
 *   startup       time from exec to the first answered ping, on an empty
 *                 and on an existing data directory.
 *
 * Sockets are plain POSIX with poll(); msgpack-c packs requests and its
 * streaming unpacker splits responses. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <msgpack.h>

/* ------------------------------------------------------------------ */
/* Small utilities                                                      */

static void cw_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("crosswalk-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *cw_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        cw_die("out of memory");
    return p;
}

static void *cw_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        cw_die("out of memory");
    return q;
}

static char *cw_xstrndup(const char *s, size_t n)
{
    char *d = cw_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static uint64_t cw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* splitmix64: tiny, fast, and fully specified, so a seed gives the same
 * dataset on every machine and libc (rand() would not). */
typedef struct {
    uint64_t s;
} cw_rng;

static uint64_t cw_rng_next(cw_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); the modulo bias is negligible for the small n used. */
static uint32_t cw_rng_below(cw_rng *r, uint32_t n)
{
    return n ? (uint32_t)(cw_rng_next(r) % n) : 0;
}

/* ------------------------------------------------------------------ */
/* msgpack packing helpers                                              */

static void cw_pk_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void cw_pk_kstr(msgpack_packer *pk, const char *k, const char *v)
{
    cw_pk_str(pk, k);
    cw_pk_str(pk, v);
}

static void cw_pk_kint(msgpack_packer *pk, const char *k, int64_t v)
{
    cw_pk_str(pk, k);
    msgpack_pack_int64(pk, v);
}

/* Opens a request [0, msgid, method, [ {map of nargs} ]]; the caller packs
 * the nargs key/value pairs.  nargs 0 packs an empty params array. */
static void cw_pk_request(msgpack_packer *pk, uint32_t msgid, const char *method, uint32_t nargs)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_int(pk, 0);
    msgpack_pack_uint32(pk, msgid);
    cw_pk_str(pk, method);
    if (nargs == 0) {
        msgpack_pack_array(pk, 0);
    } else {
        msgpack_pack_array(pk, 1);
        msgpack_pack_map(pk, nargs);
    }
}

/* ------------------------------------------------------------------ */
/* msgpack reading helpers                                              */

static bool cw_obj_is_str(const msgpack_object *o)
{
    return o && (o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN);
}

static char *cw_obj_strdup(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_STR)
        return cw_xstrndup(o->via.str.ptr, o->via.str.size);
    if (o->type == MSGPACK_OBJECT_BIN)
        return cw_xstrndup(o->via.bin.ptr, o->via.bin.size);
    return cw_xstrndup("", 0);
}

static const msgpack_object *cw_map_get(const msgpack_object *m, const char *key)
{
    if (!m || m->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object *k = &m->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
            memcmp(k->via.str.ptr, key, kl) == 0)
            return &m->via.map.ptr[i].val;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Connections                                                          */

/* Accepts tcp://HOST:PORT, HOST:PORT and unix:PATH, as crosswalkd does.
 * Returns the connected socket, or -1 with errno set when nothing accepted
 * the connection (startup polls with it); a malformed address is fatal. */
static int cw_connect_try(const char *addr)
{
    if (strncmp(addr, "unix:", 5) == 0) {
        struct sockaddr_un sun;
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        if (strlen(addr + 5) >= sizeof sun.sun_path)
            cw_die("unix path too long: %s", addr + 5);
        strcpy(sun.sun_path, addr + 5);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            cw_die("socket: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        return fd;
    }
    const char *hp = strncmp(addr, "tcp://", 6) == 0 ? addr + 6 : addr;
    const char *colon = strrchr(hp, ':');
    if (!colon)
        cw_die("bad server address '%s' (tcp://HOST:PORT or unix:PATH)", addr);
    char *host = cw_xstrndup(hp, (size_t)(colon - hp));
    if (host[0] == '[') { /* [::1]:port */
        memmove(host, host + 1, strlen(host));
        char *rb = strchr(host, ']');
        if (rb)
            *rb = 0;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0)
        cw_die("resolve %s: %s", addr, gai_strerror(rc));
    int fd = -1, err = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    free(host);
    if (fd < 0) {
        errno = err;
        return -1;
    }
    /* Small requests must leave at once: Nagle would add ~40 ms stalls to a
     * closed loop and measure the kernel instead of the server. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int cw_connect(const char *addr)
{
    int fd = cw_connect_try(addr);
    if (fd < 0)
        cw_die("connect %s: %s", addr, strerror(errno));
    return fd;
}

/* A blocking request/response client for gen and the setup of run. */
typedef struct {
    int fd;
    uint32_t next_id;
    msgpack_unpacker up;
    msgpack_sbuffer sb;
    msgpack_packer pk;
} cw_client;

static void cw_client_open(cw_client *c, const char *addr)
{
    c->fd = cw_connect(addr);
    c->next_id = 1;
    if (!msgpack_unpacker_init(&c->up, 1 << 16))
        cw_die("out of memory");
    msgpack_sbuffer_init(&c->sb);
    msgpack_packer_init(&c->pk, &c->sb, msgpack_sbuffer_write);
}

static void cw_client_close(cw_client *c)
{
    close(c->fd);
    msgpack_unpacker_destroy(&c->up);
    msgpack_sbuffer_destroy(&c->sb);
}

/* Starts a request in the client's buffer; pack nargs pairs, then cw_call. */
static void cw_begin(cw_client *c, const char *method, uint32_t nargs)
{
    msgpack_sbuffer_clear(&c->sb);
    cw_pk_request(&c->pk, c->next_id++, method, nargs);
}

static void cw_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            cw_die("send: %s", strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Waits for the next answer on the connection.  The result lives in *out
 * (caller destroys it); *msgid, when asked for, gets the answer's msgid.  An
 * error answer is fatal for gen and load, whose data must be complete, and
 * reported with the server's message. */
static const msgpack_object *cw_recv(cw_client *c, const char *what, msgpack_unpacked *out,
                                     uint64_t *msgid)
{
    msgpack_unpacked_init(out);
    for (;;) {
        msgpack_unpack_return r = msgpack_unpacker_next(&c->up, out);
        if (r == MSGPACK_UNPACK_SUCCESS) {
            const msgpack_object *o = &out->data;
            if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4)
                cw_die("%s: malformed response", what);
            const msgpack_object *err = &o->via.array.ptr[2];
            if (err->type != MSGPACK_OBJECT_NIL) {
                char *msg = NULL;
                if (err->type == MSGPACK_OBJECT_ARRAY && err->via.array.size >= 2)
                    msg = cw_obj_strdup(&err->via.array.ptr[1]);
                cw_die("%s: server error: %s", what, msg ? msg : "?");
            }
            if (msgid)
                *msgid = o->via.array.ptr[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER
                             ? o->via.array.ptr[1].via.u64
                             : 0;
            return &o->via.array.ptr[3];
        }
        if (r == MSGPACK_UNPACK_PARSE_ERROR)
            cw_die("%s: unparsable response", what);
        if (!msgpack_unpacker_reserve_buffer(&c->up, 1 << 16))
            cw_die("out of memory");
        ssize_t n = recv(c->fd, msgpack_unpacker_buffer(&c->up),
                         msgpack_unpacker_buffer_capacity(&c->up), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            cw_die("%s: connection closed by server", what);
        msgpack_unpacker_buffer_consumed(&c->up, (size_t)n);
    }
}

/* Sends the buffered request and waits for its answer (see cw_recv). */
static const msgpack_object *cw_call(cw_client *c, const char *what, msgpack_unpacked *out)
{
    cw_write_all(c->fd, c->sb.data, c->sb.size);
    return cw_recv(c, what, out, NULL);
}

/* ------------------------------------------------------------------ */
/* The shipped catalogue as seen through the protocol                   */

typedef struct {
    char *fw;
    char *id;
} cw_req;

typedef struct {
    cw_req *v;
    size_t n, cap;
} cw_reqs;

static void cw_reqs_push(cw_reqs *r, const char *fw, char *id)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->v = cw_xrealloc(r->v, r->cap * sizeof *r->v);
    }
    r->v[r->n].fw = cw_xstrndup(fw, strlen(fw));
    r->v[r->n].id = id;
    r->n++;
}

static void cw_reqs_free(cw_reqs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].fw);
        free(r->v[i].id);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

typedef struct {
    char **v;
    size_t n;
} cw_strs;

static void cw_strs_free(cw_strs *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* framework.list, sorted by slug so the PRNG draws do not depend on the
 * server's listing order. */
static int cw_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static cw_strs cw_fetch_frameworks(cw_client *c)
{
    msgpack_unpacked u;
    cw_begin(c, "framework.list", 0);
    const msgpack_object *res = cw_call(c, "framework.list", &u);
    cw_strs s = {0};
    if (res->type != MSGPACK_OBJECT_ARRAY)
        cw_die("framework.list: not a list");
    s.v = cw_xmalloc(res->via.array.size * sizeof *s.v);
    for (uint32_t i = 0; i < res->via.array.size; i++) {
        const msgpack_object *f = cw_map_get(&res->via.array.ptr[i], "framework");
        if (!cw_obj_is_str(f))
            cw_die("framework.list: entry without framework");
        s.v[s.n++] = cw_obj_strdup(f);
    }
    msgpack_unpacked_destroy(&u);
    qsort(s.v, s.n, sizeof *s.v, cw_cmp_str);
    return s;
}

static void cw_fetch_requirements(cw_client *c, const char *fw, bool leaves_only, cw_reqs *out)
{
    msgpack_unpacked u;
    cw_begin(c, "requirement.list", leaves_only ? 2 : 1);
    cw_pk_kstr(&c->pk, "framework", fw);
    if (leaves_only) {
        cw_pk_str(&c->pk, "leaves_only");
        msgpack_pack_true(&c->pk);
    }
    const msgpack_object *res = cw_call(c, "requirement.list", &u);
    if (res->type != MSGPACK_OBJECT_ARRAY)
        cw_die("requirement.list: not a list");
    for (uint32_t i = 0; i < res->via.array.size; i++) {
        const msgpack_object *id = cw_map_get(&res->via.array.ptr[i], "id");
        if (!cw_obj_is_str(id))
            cw_die("requirement.list: entry without id");
        cw_reqs_push(out, fw, cw_obj_strdup(id));
    }
    msgpack_unpacked_destroy(&u);
}

/* ------------------------------------------------------------------ */
/* Option parsing shared by the commands                                */

typedef struct {
    const char *server;
    uint64_t seed;
    unsigned orgs, controls, evidence, batch, exclusions;
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
    /* startup */
    const char *crosswalkd;
    unsigned runs;
} cw_opts;

static unsigned long long cw_num(const char *flag, const char *v)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || end == v)
        cw_die("%s: '%s' is not a non-negative integer", flag, v);
    return n;
}

static double cw_dnum(const char *flag, const char *v)
{
    char *end;
    double d = strtod(v, &end);
    if (*end || end == v || d < 0)
        cw_die("%s: '%s' is not a non-negative number", flag, v);
    return d;
}

static void cw_usage(FILE *f)
{
    fputs(
        "usage:\n"
        "  crosswalk-bench gen --server ADDR [--seed N] [--controls 400] [--evidence 20000]\n"
        "                      [--orgs 3] [--exclusions 8] [--batch 10000]\n"
        "  crosswalk-bench evidence-csv --rows N --org O -o FILE [--seed N] [--controls 400]\n"
        "  crosswalk-bench run --server ADDR [--connections 50] [--pipeline 1] [--duration 10]\n"
        "                      [--warmup 2] [--scenario NAME]... [--json FILE] [--orgs 3]\n"
        "                      [--controls 400] [--seed N] [--threads 1]\n"
        "      --threads: client threads, each driving its share of the connections (so\n"
        "      reading large answers does not make the client the bottleneck)\n"
        "  crosswalk-bench load --server ADDR --org O [--items 1000000] [--batch 10000]\n"
        "                      [--pipeline 1] [--seed N] [--controls 400] [--data-dir DIR]\n"
        "                      [--no-sync] [--json FILE]\n"
        "      evidence.load of --items generated items (ids LD-0000001..) in batches of\n"
        "      --batch, --pipeline requests in flight (the next batch is packed while the\n"
        "      server works), then the same records put into a fresh local LMDB environment\n"
        "      in transactions of --batch (the raw put loop baseline; beside DIR, the\n"
        "      server's data directory, when given, else in $TMPDIR or /tmp), fsync'd on\n"
        "      commit unless --no-sync (use it exactly when crosswalkd runs with --no-sync)\n"
        "  crosswalk-bench idle --server ADDR --pid PID [--connections 1000] [--settle 1]\n"
        "                      [--json FILE]\n"
        "      the server's VmRSS (/proc/PID/status) before and after opening --connections\n"
        "      connections that each answered one ping, and after closing them; crosswalkd\n"
        "      must allow them (--max-connections above N; default 4096)\n"
        "  crosswalk-bench startup --crosswalkd PATH [--runs 5] [--json FILE]\n"
        "      time from fork/exec of PATH --data DIR --listen unix:SOCK (fsync on) to the\n"
        "      first answered ping, on an empty data directory and again on the one it\n"
        "      left; each start is stopped with SIGTERM and must exit 0\n"
        "scenarios: requirement.get coverage-summary coverage-detail gap compare evidence-put\n"
        "           (the default set), evidence-put-serial (only when named: one connection\n"
        "           writing one item at a time); ping always runs first as the baseline\n"
        "ADDR: tcp://HOST:PORT, HOST:PORT or unix:PATH\n",
        f);
}

static void cw_parse(cw_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->orgs = 3;
    o->controls = 400;
    o->evidence = 20000;
    o->batch = 10000;
    o->exclusions = 8;
    o->connections = strcmp(argv[1], "idle") == 0 ? 1000 : 50;
    o->pipeline = 1;
    o->threads = 1;
    o->items = 1000000;
    o->settle = 1;
    o->runs = 5;
    o->duration = 10;
    o->warmup = 2;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cw_usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--no-sync") == 0) {
            o->no_sync = true;
            continue;
        }
        if (i + 1 >= argc)
            cw_die("%s needs a value (or unknown option)", a);
        const char *v = argv[++i];
        if (strcmp(a, "--server") == 0)
            o->server = v;
        else if (strcmp(a, "--seed") == 0)
            o->seed = cw_num(a, v);
        else if (strcmp(a, "--orgs") == 0)
            o->orgs = (unsigned)cw_num(a, v);
        else if (strcmp(a, "--controls") == 0)
            o->controls = (unsigned)cw_num(a, v);
        else if (strcmp(a, "--evidence") == 0)
            o->evidence = (unsigned)cw_num(a, v);
        else if (strcmp(a, "--batch") == 0)
            o->batch = (unsigned)cw_num(a, v);
        else if (strcmp(a, "--exclusions") == 0)
            o->exclusions = (unsigned)cw_num(a, v);
        else if (strcmp(a, "--rows") == 0)
            o->rows = cw_num(a, v);
        else if (strcmp(a, "--org") == 0)
            o->org = v;
        else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
            o->out = v;
        else if (strcmp(a, "--connections") == 0)
            o->connections = (unsigned)cw_num(a, v);
        else if (strcmp(a, "--pipeline") == 0)
            o->pipeline = (unsigned)cw_num(a, v);
        else if (strcmp(a, "--threads") == 0)
            o->threads = (unsigned)cw_num(a, v);
        else if (strcmp(a, "--duration") == 0)
            o->duration = cw_dnum(a, v);
        else if (strcmp(a, "--warmup") == 0)
            o->warmup = cw_dnum(a, v);
        else if (strcmp(a, "--json") == 0)
            o->json = v;
        else if (strcmp(a, "--items") == 0)
            o->items = cw_num(a, v);
        else if (strcmp(a, "--data-dir") == 0)
            o->data_dir = v;
        else if (strcmp(a, "--pid") == 0)
            o->pid = (long)cw_num(a, v);
        else if (strcmp(a, "--settle") == 0)
            o->settle = cw_dnum(a, v);
        else if (strcmp(a, "--crosswalkd") == 0)
            o->crosswalkd = v;
        else if (strcmp(a, "--runs") == 0)
            o->runs = (unsigned)cw_num(a, v);
        else if (strcmp(a, "--scenario") == 0) {
            if (o->nscenarios == sizeof o->scenarios / sizeof o->scenarios[0])
                cw_die("too many --scenario");
            o->scenarios[o->nscenarios++] = v;
        } else
            cw_die("unknown option %s (--help lists them)", a);
    }
    if (o->orgs < 1 || o->orgs > 99)
        cw_die("--orgs must be 1..99");
    if (o->controls < 1 || o->controls > 9999)
        cw_die("--controls must be 1..9999 (ids are C-0001..C-9999)");
    if (o->batch < 1)
        cw_die("--batch must be at least 1");
}

/* ------------------------------------------------------------------ */
/* gen                                                                  */

/* Fixed epoch for generated times: deterministic data must not depend on
 * the clock.  2025-06-01T00:00:00Z; collection spreads over 540 days so,
 * read "now", evidence is a mix of current, expired and failing. */
#define CW_GEN_EPOCH 1748736000ll
#define CW_DAY 86400ll

static const char *const cw_kinds[] = {"document", "config", "scan", "ticket", "log", "attestation"};
static const char *const cw_sources[] = {"scanner", "grc", "siem", "manual", "ci"};

static void cw_pk_hex64(msgpack_packer *pk, cw_rng *r)
{
    char hex[64];
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 64; i += 16) {
        uint64_t v = cw_rng_next(r);
        for (int j = 0; j < 16; j++, v >>= 4)
            hex[i + j] = digits[v & 15];
    }
    msgpack_pack_str(pk, 64);
    msgpack_pack_str_body(pk, hex, 64);
}

/* One evidence item, as a map; shared by gen (packed) and the field
 * choices of evidence-csv (which draws the same way for consistency). */
typedef struct {
    unsigned c1, c2; /* control numbers, c2 0 when only one */
    unsigned kind, source;
    int64_t collected, valid; /* valid 0: no valid_until */
    int result;               /* 0 pass, 1 fail, 2 unknown */
    bool sha;
} cw_ev;

static void cw_ev_draw(cw_rng *r, unsigned controls, cw_ev *e)
{
    e->c1 = 1 + cw_rng_below(r, controls);
    e->c2 = 0;
    if (controls > 1 && cw_rng_below(r, 4) == 0) {
        do
            e->c2 = 1 + cw_rng_below(r, controls);
        while (e->c2 == e->c1);
    }
    e->kind = cw_rng_below(r, sizeof cw_kinds / sizeof cw_kinds[0]);
    e->source = cw_rng_below(r, sizeof cw_sources / sizeof cw_sources[0]);
    e->collected = CW_GEN_EPOCH + (int64_t)cw_rng_below(r, 540 * 86400);
    uint32_t w = cw_rng_below(r, 10);
    /* 30 % open-ended, the rest valid 30 days .. 2 years: a realistic mix
     * of still-valid and expired windows. */
    e->valid = w < 3 ? 0 : e->collected + CW_DAY * (30 + (int64_t)cw_rng_below(r, 700));
    uint32_t res = cw_rng_below(r, 100);
    e->result = res < 70 ? 0 : res < 85 ? 1 : 2;
    e->sha = cw_rng_below(r, 2) == 0;
}

static const char *const cw_results[] = {"pass", "fail", "unknown"};

/* Draws one evidence item and packs it as the map evidence.put and
 * evidence.load take: gen's items and load's are made here, so both have
 * the same shape and field mix.  The sha256, when present, is drawn after
 * the other fields. */
static void cw_pk_ev_item(msgpack_packer *pk, cw_rng *rng, unsigned controls, const char *eid,
                          uint64_t n, const char *uri)
{
    cw_ev e;
    cw_ev_draw(rng, controls, &e);
    char title[64], c1[16], c2[16];
    snprintf(title, sizeof title, "%s %" PRIu64, cw_kinds[e.kind], n);
    snprintf(c1, sizeof c1, "C-%04u", e.c1);
    snprintf(c2, sizeof c2, "C-%04u", e.c2);
    msgpack_pack_map(pk, 8 + (e.valid != 0) + e.sha);
    cw_pk_kstr(pk, "id", eid);
    cw_pk_str(pk, "controls");
    msgpack_pack_array(pk, e.c2 ? 2 : 1);
    cw_pk_str(pk, c1);
    if (e.c2)
        cw_pk_str(pk, c2);
    cw_pk_kstr(pk, "kind", cw_kinds[e.kind]);
    cw_pk_kstr(pk, "title", title);
    cw_pk_kstr(pk, "source", cw_sources[e.source]);
    cw_pk_kstr(pk, "uri", uri);
    cw_pk_kint(pk, "collected_at", e.collected);
    if (e.valid)
        cw_pk_kint(pk, "valid_until", e.valid);
    if (e.sha) {
        cw_pk_str(pk, "sha256");
        cw_pk_hex64(pk, rng);
    }
    cw_pk_kstr(pk, "result", cw_results[e.result]);
}

static void cw_gen(const cw_opts *o)
{
    if (!o->server)
        cw_die("gen: --server is required");
    cw_client c;
    cw_client_open(&c, o->server);
    cw_rng rng = {o->seed};

    cw_strs fws = cw_fetch_frameworks(&c);
    /* Leaves per framework, so a link picks a framework first and then a
     * leaf: links are spread over the frameworks, not dominated by the
     * largest catalogue. */
    cw_reqs *leaves = cw_xmalloc(fws.n * sizeof *leaves);
    cw_reqs annex = {0};
    size_t nfw = 0;
    for (size_t i = 0; i < fws.n; i++) {
        memset(&leaves[nfw], 0, sizeof leaves[nfw]);
        cw_fetch_requirements(&c, fws.v[i], true, &leaves[nfw]);
        if (strcmp(fws.v[i], "iso27001-2022") == 0)
            for (size_t j = 0; j < leaves[nfw].n; j++)
                if (strncmp(leaves[nfw].v[j].id, "A.", 2) == 0)
                    cw_reqs_push(&annex, "iso27001-2022",
                                 cw_xstrndup(leaves[nfw].v[j].id, strlen(leaves[nfw].v[j].id)));
        if (leaves[nfw].n)
            nfw++;
    }
    if (!nfw)
        cw_die("gen: the server has no frameworks with leaves");
    size_t total_leaves = 0;
    for (size_t i = 0; i < nfw; i++)
        total_leaves += leaves[i].n;
    fprintf(stderr, "gen: %zu frameworks, %zu leaves, %zu Annex A leaves\n", nfw, total_leaves,
            annex.n);

    uint64_t t0 = cw_now_ns();
    for (unsigned org = 1; org <= o->orgs; org++) {
        char oid[32], name[64];
        snprintf(oid, sizeof oid, "bench-org-%u", org);
        snprintf(name, sizeof name, "Benchmark organisation %u", org);
        msgpack_unpacked u;

        cw_begin(&c, "org.put", 2);
        cw_pk_kstr(&c.pk, "org", oid);
        cw_pk_kstr(&c.pk, "name", name);
        cw_call(&c, "org.put", &u);
        msgpack_unpacked_destroy(&u);

        /* Controls, in one bulk call (atomic: all or nothing). */
        cw_begin(&c, "control.put", 2);
        cw_pk_kstr(&c.pk, "org", oid);
        cw_pk_str(&c.pk, "controls");
        msgpack_pack_array(&c.pk, o->controls);
        for (unsigned k = 1; k <= o->controls; k++) {
            char cid[16], title[64], owner[32];
            snprintf(cid, sizeof cid, "C-%04u", k);
            snprintf(title, sizeof title, "Benchmark control %u of %s", k, oid);
            snprintf(owner, sizeof owner, "team-%u", 1 + cw_rng_below(&rng, 12));
            uint32_t st = cw_rng_below(&rng, 20);
            const char *status = st < 16 ? "implemented" : st < 19 ? "planned" : "not_implemented";
            unsigned nl = 1 + cw_rng_below(&rng, 4);
            const cw_req *picked[4];
            bool partial[4];
            unsigned got = 0;
            /* Distinct links only: a control linking one leaf twice would be
             * refused as a conflict. */
            for (unsigned tries = 0; got < nl && tries < 64; tries++) {
                const cw_reqs *fl = &leaves[cw_rng_below(&rng, (uint32_t)nfw)];
                const cw_req *rq = &fl->v[cw_rng_below(&rng, (uint32_t)fl->n)];
                bool dup = false;
                for (unsigned j = 0; j < got; j++)
                    dup |= picked[j] == rq;
                if (dup)
                    continue;
                partial[got] = cw_rng_below(&rng, 4) == 0;
                picked[got++] = rq;
            }
            msgpack_pack_map(&c.pk, 5);
            cw_pk_kstr(&c.pk, "id", cid);
            cw_pk_kstr(&c.pk, "title", title);
            cw_pk_kstr(&c.pk, "owner", owner);
            cw_pk_kstr(&c.pk, "status", status);
            cw_pk_str(&c.pk, "links");
            msgpack_pack_array(&c.pk, got);
            for (unsigned j = 0; j < got; j++) {
                msgpack_pack_map(&c.pk, 3);
                cw_pk_kstr(&c.pk, "framework", picked[j]->fw);
                cw_pk_kstr(&c.pk, "id", picked[j]->id);
                cw_pk_kstr(&c.pk, "level", partial[j] ? "partial" : "full");
            }
        }
        cw_call(&c, "control.put", &u);
        msgpack_unpacked_destroy(&u);

        /* Evidence in evidence.load batches of --batch items. */
        for (unsigned done = 0; done < o->evidence;) {
            unsigned n = o->evidence - done < o->batch ? o->evidence - done : o->batch;
            cw_begin(&c, "evidence.load", 2);
            cw_pk_kstr(&c.pk, "org", oid);
            cw_pk_str(&c.pk, "items");
            msgpack_pack_array(&c.pk, n);
            for (unsigned k = 0; k < n; k++) {
                char eid[32], uri[96];
                snprintf(eid, sizeof eid, "EV-%06u", done + k + 1);
                snprintf(uri, sizeof uri, "https://evidence.example/%s/%u", oid, done + k + 1);
                cw_pk_ev_item(&c.pk, &rng, o->controls, eid, done + k + 1, uri);
            }
            cw_call(&c, "evidence.load", &u);
            msgpack_unpacked_destroy(&u);
            done += n;
        }

        /* Scope exclusions: Annex A leaves only, since iso27001-2022 clauses
         * 4-10 cannot be excluded (the server refuses them). */
        unsigned nex = o->exclusions < annex.n ? o->exclusions : (unsigned)annex.n;
        if (nex) {
            bool *used = calloc(annex.n, 1);
            if (!used)
                cw_die("out of memory");
            cw_begin(&c, "scope.put", 2);
            cw_pk_kstr(&c.pk, "org", oid);
            cw_pk_str(&c.pk, "items");
            msgpack_pack_array(&c.pk, nex);
            for (unsigned k = 0; k < nex; k++) {
                uint32_t j;
                do
                    j = cw_rng_below(&rng, (uint32_t)annex.n);
                while (used[j]);
                used[j] = true;
                msgpack_pack_map(&c.pk, 4);
                cw_pk_kstr(&c.pk, "framework", "iso27001-2022");
                cw_pk_kstr(&c.pk, "id", annex.v[j].id);
                cw_pk_str(&c.pk, "applicable");
                msgpack_pack_false(&c.pk);
                cw_pk_kstr(&c.pk, "justification", "benchmark: not applicable to this organisation");
            }
            cw_call(&c, "scope.put", &u);
            msgpack_unpacked_destroy(&u);
            free(used);
        }
        fprintf(stderr, "gen: %s: %u controls, %u evidence, %u exclusions\n", oid, o->controls,
                o->evidence, nex);
    }
    fprintf(stderr, "gen: done in %.2f s\n", (double)(cw_now_ns() - t0) / 1e9);

    for (size_t i = 0; i < nfw; i++)
        cw_reqs_free(&leaves[i]);
    /* Frameworks without leaves were not counted in nfw but their (empty)
     * lists hold nothing to free. */
    free(leaves);
    cw_reqs_free(&annex);
    cw_strs_free(&fws);
    cw_client_close(&c);
}

/* ------------------------------------------------------------------ */
/* evidence-csv                                                         */

static void cw_fmt_time(char *buf, size_t n, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void cw_evidence_csv(const cw_opts *o)
{
    if (!o->rows || !o->org || !o->out)
        cw_die("evidence-csv: --rows, --org and -o are required");
    FILE *f = fopen(o->out, "w");
    if (!f)
        cw_die("%s: %s", o->out, strerror(errno));
    /* A large stdio buffer: a million rows should cost the disk, not
     * syscalls. */
    static char iobuf[1 << 20];
    setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
    cw_rng rng = {o->seed ^ 0x6373766373766373ull};
    fputs("id,controls,kind,title,source,uri,sha256,collected_at,valid_until,result\n", f);
    static const char digits[] = "0123456789abcdef";
    for (uint64_t i = 1; i <= o->rows; i++) {
        cw_ev e;
        cw_ev_draw(&rng, o->controls, &e);
        char coll[32], valid[32] = "", sha[65] = "";
        cw_fmt_time(coll, sizeof coll, e.collected);
        if (e.valid)
            cw_fmt_time(valid, sizeof valid, e.valid);
        if (e.sha) {
            for (int k = 0; k < 64; k += 16) {
                uint64_t v = cw_rng_next(&rng);
                for (int j = 0; j < 16; j++, v >>= 4)
                    sha[k + j] = digits[v & 15];
            }
            sha[64] = 0;
        }
        /* Ids CSV-nnnnnnn never collide with gen's EV-nnnnnn, so loading the
         * CSV adds items rather than rewriting the generated ones. */
        fprintf(f, "CSV-%07" PRIu64 ",C-%04u", i, e.c1);
        if (e.c2)
            fprintf(f, "|C-%04u", e.c2);
        fprintf(f, ",%s,%s %" PRIu64 ",%s,https://evidence.example/%s/csv/%" PRIu64 ",%s,%s,%s,%s\n",
                cw_kinds[e.kind], cw_kinds[e.kind], i, cw_sources[e.source], o->org, i, sha, coll,
                valid, cw_results[e.result]);
    }
    if (fclose(f) != 0)
        cw_die("%s: %s", o->out, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* Latency histogram                                                    */

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

static unsigned cw_h_index(uint64_t v)
{
    if (v < 128)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned e = msb - 6; /* >= 1 */
    unsigned idx = 128 + (e - 1) * CW_H_SUB + (unsigned)((v >> e) - 64);
    return idx < CW_H_BUCKETS ? idx : CW_H_BUCKETS - 1;
}

static uint64_t cw_h_value(unsigned idx)
{
    if (idx < 128)
        return idx;
    unsigned e = (idx - 128) / CW_H_SUB + 1;
    uint64_t m = (idx - 128) % CW_H_SUB + 64;
    /* Middle of the bucket. */
    return (m << e) + ((1ull << e) >> 1);
}

static void cw_h_add(cw_hist *h, uint64_t v)
{
    h->b[cw_h_index(v)]++;
    h->count++;
    if (v > h->max)
        h->max = v;
}

static double cw_h_quantile_us(const cw_hist *h, double q)
{
    if (!h->count)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if (rank >= h->count)
        rank = h->count - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < CW_H_BUCKETS; i++) {
        seen += h->b[i];
        if (seen > rank) {
            uint64_t v = cw_h_value(i);
            return (double)(v < h->max ? v : h->max) / 1000.0;
        }
    }
    return (double)h->max / 1000.0;
}

/* ------------------------------------------------------------------ */
/* run                                                                  */

typedef enum {
    CW_S_PING,
    CW_S_REQGET,
    CW_S_COV_SUMMARY,
    CW_S_COV_DETAIL,
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
    {"gap", CW_S_GAP, "gap.report soc2-2017 max_hops 2"},
    {"compare", CW_S_COMPARE, "framework.compare iso27001-2022 -> soc2-2017 max_hops 3"},
    {"evidence-put", CW_S_EVPUT, "evidence.put, one item per request"},
    /* Only when named: the "one commit per write" baseline, one
     * client writing serially, to divide evidence-put by in the same run. */
    {"evidence-put-serial", CW_S_EVPUT_SERIAL, "evidence.put, one connection, one at a time"},
};
/* Scenarios run when none is named: all but the serial baseline. */
#define CW_NDEFAULT 7
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

/* Where the scan of an incomplete message stopped: the start of the first
 * element not yet complete and how many elements were still due there. A
 * 300 KB answer arrives in many reads; resuming keeps the client from
 * walking its start again after every read (off 0 = a fresh message). */
typedef struct {
    size_t off;
    uint64_t pending;
} cw_scan;

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
    cw_scan scan; /* of the message at the start of in */
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
    cw_reqs reqs;      /* every shipped requirement, for requirement.get */
    uint64_t nonce;    /* keeps evidence-put ids distinct across runs */
} cw_run_ctx;

static void cw_build(const cw_run_ctx *x, cw_scn_kind k, cw_rconn *c)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, c, cw_rconn_write);
    uint32_t id = c->next_id++;
    char org[32];
    snprintf(org, sizeof org, "bench-org-%u", 1 + cw_rng_below(&c->rng, x->o->orgs));
    switch (k) {
    case CW_S_PING:
        cw_pk_request(&pk, id, "ping", 0);
        break;
    case CW_S_REQGET: {
        const cw_req *r = &x->reqs.v[cw_rng_below(&c->rng, (uint32_t)x->reqs.n)];
        cw_pk_request(&pk, id, "requirement.get", 2);
        cw_pk_kstr(&pk, "framework", r->fw);
        cw_pk_kstr(&pk, "id", r->id);
        break;
    }
    case CW_S_COV_SUMMARY:
    case CW_S_COV_DETAIL:
        cw_pk_request(&pk, id, "coverage.get", k == CW_S_COV_DETAIL ? 4 : 3);
        cw_pk_kstr(&pk, "org", org);
        cw_pk_kstr(&pk, "framework", "nist-csf-2.0");
        cw_pk_kint(&pk, "max_hops", 1);
        if (k == CW_S_COV_DETAIL) {
            cw_pk_str(&pk, "detail");
            msgpack_pack_true(&pk);
        }
        break;
    case CW_S_GAP:
        cw_pk_request(&pk, id, "gap.report", 3);
        cw_pk_kstr(&pk, "org", org);
        cw_pk_kstr(&pk, "target", "soc2-2017");
        cw_pk_kint(&pk, "max_hops", 2);
        break;
    case CW_S_COMPARE:
        cw_pk_request(&pk, id, "framework.compare", 3);
        cw_pk_kstr(&pk, "source", "iso27001-2022");
        cw_pk_kstr(&pk, "target", "soc2-2017");
        cw_pk_kint(&pk, "max_hops", 3);
        break;
    case CW_S_EVPUT:
    case CW_S_EVPUT_SERIAL: {
        char eid[96], ctl[16];
        snprintf(eid, sizeof eid, "PUT-%" PRIx64 "-%u-%" PRIu64, x->nonce, c->idx, c->seq++);
        snprintf(ctl, sizeof ctl, "C-%04u", 1 + cw_rng_below(&c->rng, x->o->controls));
        uint32_t res = cw_rng_below(&c->rng, 10);
        cw_pk_request(&pk, id, "evidence.put", 7);
        cw_pk_kstr(&pk, "org", org);
        cw_pk_kstr(&pk, "id", eid);
        cw_pk_str(&pk, "controls");
        msgpack_pack_array(&pk, 1);
        cw_pk_str(&pk, ctl);
        cw_pk_kstr(&pk, "kind", "scan");
        cw_pk_kstr(&pk, "title", "benchmark evidence.put");
        cw_pk_kint(&pk, "collected_at", (int64_t)time(NULL));
        cw_pk_kstr(&pk, "result", res < 8 ? "pass" : res < 9 ? "fail" : "unknown");
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
        o->via.array.ptr[0].via.u64 != 1)
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

/* Byte length of the msgpack object at p[0..n): 0 while incomplete,
 * SIZE_MAX when malformed.  The load generator only needs each answer's
 * msgid and whether it is an error, so it walks over results instead of
 * unpacking them: at hundreds of kilobytes per detailed answer, unpacking
 * cost the client more CPU than the server spent answering, on the same
 * two cores. */
static uint64_t cw_be(const unsigned char *p, size_t w)
{
    uint64_t v = 0;
    for (size_t i = 0; i < w; i++)
        v = v << 8 | p[i];
    return v;
}

/* For each first byte of a msgpack element: its whole size when that
 * follows from the byte alone (0: read further), and how many elements it
 * opens (fixmap, fixarray). Most of an answer is such elements, so the
 * scanner's common case is two table loads and no unpredictable branch. */
static const unsigned char cw_mp_size[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
    1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 5, 9, 2, 3, 5, 9,
    2, 3, 5, 9, 3, 4, 6, 10, 18, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
static const unsigned char cw_mp_opens[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static size_t cw_mp_scan(const unsigned char *p, size_t n, cw_scan *st)
{
    size_t off = st->off;
    uint64_t pending = off ? st->pending : 1;
    size_t start = off;
    uint64_t pstart = pending;
    while (pending) {
        start = off;
        pstart = pending;
        if (off >= n)
            goto partial;
        unsigned b = p[off];
        size_t whole = cw_mp_size[b];
        if (whole) {
            if (n - off < whole)
                goto partial;
            off += whole;
            pending += cw_mp_opens[b];
            pending--;
            continue;
        }
        /* Sizes read from the element itself: bin, str8-32, ext, the
         * 16/32-bit arrays and maps (everything else is in the table). */
        off++;
        pending--;
        size_t lenw = 0, fixed = 0, countw = 0, pairs = 0;
        int ext = 0;
        switch (b) {
        case 0xc4: case 0xd9: lenw = 1; break;
        case 0xc5: case 0xda: lenw = 2; break;
        case 0xc6: case 0xdb: lenw = 4; break;
        case 0xc7: lenw = 1; ext = 1; break;
        case 0xc8: lenw = 2; ext = 1; break;
        case 0xc9: lenw = 4; ext = 1; break;
        case 0xdc: countw = 2; break;
        case 0xdd: countw = 4; break;
        case 0xde: countw = 2; pairs = 1; break;
        case 0xdf: countw = 4; pairs = 1; break;
        default: return SIZE_MAX; /* 0xc1, never used */
        }
        if (countw) {
            if (n - off < countw)
                goto partial;
            pending += cw_be(p + off, countw) << pairs;
            off += countw;
            continue;
        }
        if (lenw) {
            if (n - off < lenw)
                goto partial;
            fixed = (size_t)cw_be(p + off, lenw) + (size_t)ext;
            off += lenw;
        }
        if (n - off < fixed)
            goto partial;
        off += fixed;
    }
    *st = (cw_scan){0, 0};
    return off;
partial:
    st->off = start;
    st->pending = pstart;
    return 0;
}

/* Length of the complete message at p, 0 if incomplete, SIZE_MAX if it is
 * not msgpack. */
static size_t cw_mp_len(const unsigned char *p, size_t n)
{
    cw_scan st = {0, 0};
    return cw_mp_scan(p, n, &st);
}

/* One whole response message: answers without an error are counted from
 * their envelope alone; error answers are unpacked to report the message. */
static void cw_on_raw_response(cw_rconn *c, const unsigned char *p, size_t len, cw_result *r,
                               uint64_t now, uint64_t from, uint64_t to)
{
    size_t off = 3;
    uint64_t mid = UINT64_MAX;
    if (len > 3 && p[0] == 0x94 && p[1] == 0x01) {
        unsigned b = p[2];
        size_t w = b <= 0x7f ? 0 : b == 0xcc ? 1 : b == 0xcd ? 2 : b == 0xce ? 4 : b == 0xcf ? 8 : 9;
        if (w < 9 && len > off + w) {
            mid = w ? cw_be(p + off, w) : b;
            off += w;
        }
    }
    if (mid != UINT64_MAX && p[off] == 0xc0) {
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
                ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                                 MSG_NOSIGNAL);
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
                while ((ml = cw_mp_scan(c->in + done, c->in_len - done, &c->scan)) != 0) {
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
                while (issuing && cw_now_ns() < to && c->inflight < depth && (!serial || c->idx == 0)) {
                    cw_build(x, k, c);
                    r->sent++;
                }
                if (c->out_off < c->out_len) {
                    ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                                     MSG_NOSIGNAL);
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

static void cw_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void cw_run(const cw_opts *o)
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

    cw_run_ctx x;
    memset(&x, 0, sizeof x);
    x.o = o;
    x.nonce = ((uint64_t)time(NULL) << 16) ^ (uint64_t)getpid();
    {
        cw_client c;
        cw_client_open(&c, o->server);
        cw_strs fws = cw_fetch_frameworks(&c);
        for (size_t i = 0; i < fws.n; i++)
            cw_fetch_requirements(&c, fws.v[i], false, &x.reqs);
        cw_strs_free(&fws);
        cw_client_close(&c);
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

    cw_result *res = calloc(norder, sizeof *res);
    if (!res)
        cw_die("out of memory");
    for (unsigned s = 0; s < norder && !cw_interrupted; s++) {
        res[s].scn = order[s];
        fprintf(stderr, "run: %s (%.0f s warm-up, %.0f s measured)...\n",
                cw_scn_table[order[s]].name, o->warmup, o->duration);
        cw_phase_threads(&x, cs, o->connections, &res[s], pfd);
    }

    double ping_rps = res[0].requests / res[0].seconds;
    uint64_t total_errors = 0;
    printf("crosswalk-bench run: %s, %u connections, pipeline %u, %u client thread%s, %.1f s per "
           "scenario (+%.1f s warm-up)\n",
           o->server, o->connections, o->pipeline, o->threads, o->threads == 1 ? "" : "s",
           o->duration, o->warmup);
    printf("%-18s %12s %10s %10s %10s %10s %8s %8s\n", "scenario", "requests/s", "p50 us",
           "p99 us", "p999 us", "max us", "errors", "x ping");
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
        FILE *f = strcmp(o->json, "-") == 0 ? stdout : fopen(o->json, "w");
        if (!f)
            cw_die("%s: %s", o->json, strerror(errno));
        fprintf(f, "{\"server\": ");
        cw_json_str(f, o->server);
        fprintf(f,
                ", \"connections\": %u, \"pipeline\": %u, \"threads\": %u, \"duration_s\": %g, "
                "\"warmup_s\": %g, \"seed\": %" PRIu64 ", \"baseline\": \"ping\", \"scenarios\": [",
                o->connections, o->pipeline, o->threads, o->duration, o->warmup, o->seed);
        for (unsigned s = 0; s < norder; s++) {
            const cw_result *r = &res[s];
            double rps = r->requests / r->seconds;
            fprintf(f, "%s\n  {\"name\": ", s ? "," : "");
            cw_json_str(f, cw_scn_table[r->scn].name);
            fprintf(f, ", \"what\": ");
            cw_json_str(f, cw_scn_table[r->scn].what);
            fprintf(f,
                    ", \"requests\": %" PRIu64 ", \"seconds\": %.3f, \"requests_per_s\": %.1f, "
                    "\"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, "
                    "\"errors\": %" PRIu64 ", \"ratio_to_ping\": %.4f",
                    r->requests, r->seconds, rps, cw_h_quantile_us(&r->hist, 0.5),
                    cw_h_quantile_us(&r->hist, 0.99), cw_h_quantile_us(&r->hist, 0.999),
                    (double)r->hist.max / 1000.0, r->errors, ping_rps > 0 ? rps / ping_rps : 0.0);
            if (r->first_error[0]) {
                fprintf(f, ", \"first_error\": ");
                cw_json_str(f, r->first_error);
            }
            fputc('}', f);
        }
        fprintf(f, "\n], \"errors\": %" PRIu64 "}\n", total_errors);
        if (f != stdout && fclose(f) != 0)
            cw_die("%s: %s", o->json, strerror(errno));
    }

    for (unsigned i = 0; i < o->connections; i++) {
        close(cs[i].fd);
        free(cs[i].in);
        free(cs[i].out);
        free(cs[i].slots);
    }
    free(cs);
    free(pfd);
    free(res);
    cw_reqs_free(&x.reqs);
    if (cw_interrupted)
        exit(130);
    /* Error answers make the run fail so scripts notice; the figures are
     * still printed above. */
    if (total_errors)
        exit(2);
}

/* ------------------------------------------------------------------ */
/* load                                                                 */

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
    cw_pk_request(&lb->pk, (uint32_t)(b + 1), "evidence.load", 2);
    cw_pk_kstr(&lb->pk, "org", o->org);
    cw_pk_str(&lb->pk, "items");
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

/* Removes a directory tree (the baseline environment, startup's data). */
static int cw_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void cw_rmtree(const char *dir)
{
    if (nftw(dir, cw_rm_cb, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        fprintf(stderr, "crosswalk-bench: could not remove %s: %s\n", dir, strerror(errno));
}

static void cw_lmdb_check(int rc, const char *what)
{
    if (rc)
        cw_die("baseline: %s: %s", what, mdb_strerror(rc));
}

static void cw_load(const cw_opts *o)
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
    cw_client c;
    cw_client_open(&c, o->server);
    {
        msgpack_unpacked u;
        cw_begin(&c, "ping", 0);
        cw_call(&c, "ping", &u);
        msgpack_unpacked_destroy(&u);
    }
    fprintf(stderr, "load: %" PRIu64 " items into %s in %" PRIu64 " batches of %u, pipeline %u...\n",
            o->items, o->org, nbatches, o->batch, o->pipeline);
    cw_rng rng = {seed};
    cw_hist *sh = calloc(1, sizeof *sh);
    cw_hist *bh = calloc(1, sizeof *bh);
    uint64_t *sent_at = calloc(nbatches, sizeof *sent_at);
    if (!sh || !bh || !sent_at)
        cw_die("out of memory");
    uint64_t created = 0, updated = 0, bytes = 0;
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
        uint64_t rj = cw_map_uint(res, "rejected");
        if (cr + up != n || rj)
            cw_die("evidence.load: batch %" PRIu64 " of %" PRIu64 " items answered created %" PRIu64
                   ", updated %" PRIu64 ", rejected %" PRIu64,
                   mid, n, cr, up, rj);
        created += cr;
        updated += up;
        msgpack_unpacked_destroy(&u);
        answered++;
    }
    double server_s = (double)(cw_now_ns() - t0) / 1e9;
    cw_client_close(&c);
    double server_ips = (double)o->items / server_s;
    fprintf(stderr, "load: server done in %.2f s; baseline LMDB put loop (%s)...\n", server_s, sync);

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
                int kl = snprintf(key + olen + 1, sizeof key - olen - 1, "LD-%07" PRIu64, first + k);
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
    printf("server created %" PRIu64 ", updated %" PRIu64 "; %.1f MB of requests\n", created,
           updated, (double)bytes / 1e6);
    printf("server / baseline: %.3f (target >= 0.25: %s); server items/s target >= 100000: %s\n",
           ratio, ratio_met ? "met" : "missed", rate_met ? "met" : "missed");
    if (o->no_sync)
        printf("baseline opened with MDB_NOSYNC: compare only with crosswalkd --no-sync\n");
    else
        printf("baseline fsyncs every commit: compare only with crosswalkd without --no-sync\n");

    if (o->json) {
        FILE *f = strcmp(o->json, "-") == 0 ? stdout : fopen(o->json, "w");
        if (!f)
            cw_die("%s: %s", o->json, strerror(errno));
        fprintf(f, "{\"command\": \"load\", \"server\": ");
        cw_json_str(f, o->server);
        fprintf(f, ", \"org\": ");
        cw_json_str(f, o->org);
        fprintf(f,
                ", \"items\": %" PRIu64 ", \"batch\": %u, \"batches\": %" PRIu64
                ", \"pipeline\": %u, \"seed\": %" PRIu64 ", \"sync\": \"%s\",\n"
                " \"server\": {\"seconds\": %.3f, \"items_per_s\": %.1f, \"batch_p50_ms\": %.2f, "
                "\"batch_p99_ms\": %.2f, \"batch_max_ms\": %.2f, \"created\": %" PRIu64
                ", \"updated\": %" PRIu64 ", \"request_bytes\": %" PRIu64 "},\n"
                " \"baseline\": {\"what\": \"raw LMDB put loop, key org NUL id, value the item map "
                "as sent, one transaction per batch\", \"seconds\": %.3f, \"items_per_s\": %.1f, "
                "\"batch_p50_ms\": %.2f, \"batch_p99_ms\": %.2f, \"batch_max_ms\": %.2f},\n"
                " \"ratio_to_baseline\": %.4f, \"target_ratio\": 0.25, \"ratio_met\": %s, "
                "\"target_items_per_s\": 100000, \"items_per_s_met\": %s}\n",
                o->items, o->batch, nbatches, o->pipeline, o->seed, sync, server_s, server_ips,
                cw_h_quantile_us(sh, 0.5) / 1000, cw_h_quantile_us(sh, 0.99) / 1000,
                (double)sh->max / 1e6, created, updated, bytes, base_s, base_ips,
                cw_h_quantile_us(bh, 0.5) / 1000, cw_h_quantile_us(bh, 0.99) / 1000,
                (double)bh->max / 1e6, ratio, ratio_met ? "true" : "false",
                rate_met ? "true" : "false");
        if (f != stdout && fclose(f) != 0)
            cw_die("%s: %s", o->json, strerror(errno));
    }
    free(sh);
    free(bh);
    free(sent_at);
    free(lb.off);
    free(lb.len);
    msgpack_sbuffer_destroy(&lb.sb);
}

/* ------------------------------------------------------------------ */
/* idle                                                                 */

/* The server's resident set in KiB, from /proc/PID/status: VmRSS, and its
 * anonymous part (heap, stacks: what connections allocate) and file part
 * (mostly LMDB's mapped pages, which come and go with the page cache). */
typedef struct {
    uint64_t rss, anon, file;
} cw_rss;

static cw_rss cw_rss_read(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        cw_die("%s: %s", path, strerror(errno));
    cw_rss r = {0, 0, 0};
    bool found = false;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmRSS: %" SCNu64, &r.rss) == 1)
            found = true;
        sscanf(line, "RssAnon: %" SCNu64, &r.anon);
        sscanf(line, "RssFile: %" SCNu64, &r.file);
    }
    fclose(f);
    if (!found)
        cw_die("%s: no VmRSS line (is %ld a running process?)", path, pid);
    return r;
}

static void cw_sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Sends one ping with `msgid` on a blocking socket and reads its answer.
 * Returns 0 when "pong" came back for that msgid, -1 when the server closed
 * the connection or answered otherwise (why, in *why). */
static int cw_ping_fd(int fd, uint32_t msgid, const char **why)
{
    unsigned char req[16], in[256];
    size_t rl = 0, got = 0, ml = 0;
    req[rl++] = 0x94;
    req[rl++] = 0x00;
    req[rl++] = 0xce;
    for (int i = 3; i >= 0; i--)
        req[rl++] = (unsigned char)(msgid >> (8 * i));
    req[rl++] = 0xa4;
    memcpy(req + rl, "ping", 4);
    rl += 4;
    req[rl++] = 0x90;
    if (send(fd, req, rl, MSG_NOSIGNAL) != (ssize_t)rl) {
        *why = "send failed";
        return -1;
    }
    while ((ml = cw_mp_len(in, got)) == 0) {
        if (got == sizeof in) {
            *why = "answer too long";
            return -1;
        }
        ssize_t n = recv(fd, in + got, sizeof in - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *why = n == 0 ? "connection closed by the server" : "recv failed";
            return -1;
        }
        got += (size_t)n;
    }
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int rc = -1;
    *why = "not a pong answer";
    if (ml != SIZE_MAX &&
        msgpack_unpack_next(&u, (const char *)in, ml, NULL) == MSGPACK_UNPACK_SUCCESS) {
        const msgpack_object *o = &u.data;
        if (o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 4 &&
            o->via.array.ptr[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
            o->via.array.ptr[1].via.u64 == msgid && o->via.array.ptr[2].type == MSGPACK_OBJECT_NIL &&
            cw_obj_is_str(&o->via.array.ptr[3]))
            rc = 0;
    }
    msgpack_unpacked_destroy(&u);
    return rc;
}

static void cw_idle(const cw_opts *o)
{
    if (!o->server || o->pid <= 0)
        cw_die("idle: --server and --pid are required");
    if (o->connections < 1 || o->connections > 100000)
        cw_die("--connections must be 1..100000");
    unsigned n = o->connections;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        cw_die("getrlimit: %s", strerror(errno));
    rlim_t need = (rlim_t)n + 64;
    if (rl.rlim_cur < need) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
            cw_die("idle: %u connections need %lu open files, the hard limit is %lu", n,
                   (unsigned long)need, (unsigned long)rl.rlim_max);
        rl.rlim_cur = need;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            cw_die("setrlimit: %s", strerror(errno));
    }

    /* A first connection answered and closed before the "before" reading,
     * so what the server sets up once (its first request's buffers) is not
     * charged to the idle connections. */
    const char *why;
    int fd0 = cw_connect(o->server);
    if (cw_ping_fd(fd0, 1, &why) != 0)
        cw_die("idle: warm-up ping: %s", why);
    close(fd0);
    cw_sleep_s(o->settle);
    cw_rss before = cw_rss_read(o->pid);

    int *fds = cw_xmalloc(n * sizeof *fds);
    uint64_t t0 = cw_now_ns();
    for (unsigned i = 0; i < n; i++) {
        fds[i] = cw_connect(o->server);
        if (cw_ping_fd(fds[i], i + 1, &why) != 0)
            cw_die("idle: connection %u of %u: %s (crosswalkd needs --max-connections above %u)",
                   i + 1, n, why, n);
    }
    double open_s = (double)(cw_now_ns() - t0) / 1e9;
    cw_sleep_s(o->settle);
    cw_rss open = cw_rss_read(o->pid);
    /* Still connected?  A ping on the first and last after the reading
     * shows the server kept them (an idle timeout would have closed them). */
    if (cw_ping_fd(fds[0], n + 1, &why) != 0 || cw_ping_fd(fds[n - 1], n + 2, &why) != 0)
        cw_die("idle: connections were dropped while idle: %s", why);
    for (unsigned i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    cw_sleep_s(o->settle);
    cw_rss after = cw_rss_read(o->pid);

    double added_mib = ((double)open.rss - (double)before.rss) / 1024.0;
    double per_kib = ((double)open.rss - (double)before.rss) / n;
    double anon_mib = ((double)open.anon - (double)before.anon) / 1024.0;
    /* The target, 1,000 idle connections in at most 64 MiB, scaled
     * to N: 65.5 KiB a connection. */
    bool met = per_kib * 1000.0 <= 64.0 * 1024.0;
    printf("crosswalk-bench idle: %s, pid %ld, %u connections (each answered one ping; opened in "
           "%.2f s), %.1f s settle\n",
           o->server, o->pid, n, open_s, o->settle);
    printf("%-26s %12s %12s %12s\n", "server KiB", "VmRSS", "RssAnon", "RssFile");
    printf("%-26s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", "before", before.rss, before.anon,
           before.file);
    printf("%-26s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", "with connections open", open.rss,
           open.anon, open.file);
    printf("%-26s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", "after closing them", after.rss,
           after.anon, after.file);
    printf("added VmRSS: %.2f MiB total, %.1f KiB per connection (target <= 64 MiB per 1000, "
           "65.5 KiB each: %s); of it anonymous: %.2f MiB\n",
           added_mib, per_kib, met ? "met" : "missed", anon_mib);
    if (o->json) {
        FILE *f = strcmp(o->json, "-") == 0 ? stdout : fopen(o->json, "w");
        if (!f)
            cw_die("%s: %s", o->json, strerror(errno));
        fprintf(f, "{\"command\": \"idle\", \"server\": ");
        cw_json_str(f, o->server);
        fprintf(f,
                ", \"pid\": %ld, \"connections\": %u, \"settle_s\": %g, \"open_s\": %.3f, "
                "\"rss_before_kib\": %" PRIu64 ", \"rss_open_kib\": %" PRIu64
                ", \"rss_after_close_kib\": %" PRIu64 ", \"anon_before_kib\": %" PRIu64
                ", \"anon_open_kib\": %" PRIu64 ", \"anon_after_close_kib\": %" PRIu64
                ", \"added_mib\": %.3f, \"added_anon_mib\": %.3f, "
                "\"added_per_connection_kib\": %.2f, \"target_mib_per_1000\": 64, \"met\": %s}\n",
                o->pid, n, o->settle, open_s, before.rss, open.rss, after.rss, before.anon,
                open.anon, after.anon, added_mib, anon_mib, per_kib, met ? "true" : "false");
        if (f != stdout && fclose(f) != 0)
            cw_die("%s: %s", o->json, strerror(errno));
    }
}

/* ------------------------------------------------------------------ */
/* startup                                                              */

/* Prints the server's log (its stderr) for a failed start. */
static void cw_dump_log(const char *log)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char line[512];
    fprintf(stderr, "--- %s\n", log);
    while (fgets(line, sizeof line, f))
        fputs(line, stderr);
    fclose(f);
}

/* Starts crosswalkd on `data` listening on unix:`sock` and returns the
 * milliseconds from fork to the first answered ping; then SIGTERM, and the
 * exit status must be 0. */
static double cw_start_once(const cw_opts *o, const char *data, const char *sock, const char *log,
                            const char *what)
{
    char listen[4200];
    snprintf(listen, sizeof listen, "unix:%s", sock);
    unlink(sock);
    uint64_t t0 = cw_now_ns();
    pid_t pid = fork();
    if (pid < 0)
        cw_die("fork: %s", strerror(errno));
    if (pid == 0) {
        int lf = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int nf = open("/dev/null", O_RDONLY);
        if (lf >= 0) {
            dup2(lf, 1);
            dup2(lf, 2);
        }
        if (nf >= 0)
            dup2(nf, 0);
        execl(o->crosswalkd, o->crosswalkd, "--data", data, "--listen", listen, (char *)NULL);
        _exit(127);
    }
    double ms = -1;
    for (uint32_t tries = 1;; tries++) {
        int fd = cw_connect_try(listen);
        if (fd >= 0) {
            const char *why;
            int rc = cw_ping_fd(fd, tries, &why);
            close(fd);
            if (rc == 0) {
                ms = (double)(cw_now_ns() - t0) / 1e6;
                break;
            }
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            cw_dump_log(log);
            cw_die("startup (%s): crosswalkd exited before answering a ping (status %d)", what, st);
        }
        if (cw_now_ns() - t0 > 30ull * 1000000000u) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            cw_dump_log(log);
            cw_die("startup (%s): no ping answer within 30 s", what);
        }
        cw_sleep_s(0.001);
    }
    if (kill(pid, SIGTERM) != 0)
        cw_die("kill: %s", strerror(errno));
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            cw_die("waitpid: %s", strerror(errno));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        cw_dump_log(log);
        if (WIFSIGNALED(st))
            cw_die("startup (%s): crosswalkd died of signal %d after SIGTERM", what, WTERMSIG(st));
        cw_die("startup (%s): crosswalkd exited %d after SIGTERM", what, WEXITSTATUS(st));
    }
    return ms;
}

static int cw_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double cw_median(const double *v, unsigned n)
{
    double *s = cw_xmalloc(n * sizeof *s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cw_cmp_double);
    double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    free(s);
    return m;
}

static double cw_max(const double *v, unsigned n)
{
    double m = v[0];
    for (unsigned i = 1; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

static void cw_json_list(FILE *f, const double *v, unsigned n)
{
    fputc('[', f);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "%s%.2f", i ? ", " : "", v[i]);
    fputc(']', f);
}

static void cw_startup(const cw_opts *o)
{
    if (!o->crosswalkd)
        cw_die("startup: --crosswalkd is required");
    if (access(o->crosswalkd, X_OK) != 0)
        cw_die("startup: %s: %s", o->crosswalkd, strerror(errno));
    if (o->runs < 1 || o->runs > 1000)
        cw_die("--runs must be 1..1000");
    double *empty = cw_xmalloc(o->runs * sizeof *empty);
    double *existing = cw_xmalloc(o->runs * sizeof *existing);
    for (unsigned r = 0; r < o->runs; r++) {
        /* Short paths under /tmp: a Unix socket path is limited to 107
         * bytes, which a long $TMPDIR could exceed. */
        char dir[] = "/tmp/cw-start-XXXXXX";
        if (!mkdtemp(dir))
            cw_die("mkdtemp: %s", strerror(errno));
        char data[64], sock[64], log[64];
        snprintf(data, sizeof data, "%s/data", dir);
        snprintf(sock, sizeof sock, "%s/sock", dir);
        snprintf(log, sizeof log, "%s/log", dir);
        empty[r] = cw_start_once(o, data, sock, log, "empty data directory");
        existing[r] = cw_start_once(o, data, sock, log, "existing data directory");
        fprintf(stderr, "startup: run %u: empty %.1f ms, existing %.1f ms\n", r + 1, empty[r],
                existing[r]);
        cw_rmtree(dir);
    }
    double em = cw_median(empty, o->runs), ex = cw_max(empty, o->runs);
    double xm = cw_median(existing, o->runs), xx = cw_max(existing, o->runs);
    bool em_met = em <= 200, xm_met = xm <= 20;
    printf("crosswalk-bench startup: %s, %u runs, fork/exec to the first answered ping over a "
           "Unix socket, fsync on\n",
           o->crosswalkd, o->runs);
    printf("%-24s %10s %10s %10s %8s\n", "data directory", "median ms", "max ms", "target ms",
           "median");
    printf("%-24s %10.1f %10.1f %10s %8s\n", "empty (bootstrap)", em, ex, "<= 200",
           em_met ? "met" : "missed");
    printf("%-24s %10.1f %10.1f %10s %8s\n", "existing", xm, xx, "<= 20", xm_met ? "met" : "missed");
    if (o->json) {
        FILE *f = strcmp(o->json, "-") == 0 ? stdout : fopen(o->json, "w");
        if (!f)
            cw_die("%s: %s", o->json, strerror(errno));
        fprintf(f, "{\"command\": \"startup\", \"crosswalkd\": ");
        cw_json_str(f, o->crosswalkd);
        fprintf(f, ", \"runs\": %u, \"sync\": \"fsync\",\n \"empty\": {\"ms\": ", o->runs);
        cw_json_list(f, empty, o->runs);
        fprintf(f,
                ", \"median_ms\": %.2f, \"max_ms\": %.2f, \"target_ms\": 200, \"met\": %s},\n"
                " \"existing\": {\"ms\": ",
                em, ex, em_met ? "true" : "false");
        cw_json_list(f, existing, o->runs);
        fprintf(f, ", \"median_ms\": %.2f, \"max_ms\": %.2f, \"target_ms\": 20, \"met\": %s}}\n", xm,
                xx, xm_met ? "true" : "false");
        if (f != stdout && fclose(f) != 0)
            cw_die("%s: %s", o->json, strerror(errno));
    }
    free(empty);
    free(existing);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cw_usage(stderr);
        return 2;
    }
    cw_opts o;
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        cw_usage(stdout);
        return 0;
    }
    cw_parse(&o, argc, argv);
    if (strcmp(cmd, "gen") == 0)
        cw_gen(&o);
    else if (strcmp(cmd, "evidence-csv") == 0)
        cw_evidence_csv(&o);
    else if (strcmp(cmd, "run") == 0)
        cw_run(&o);
    else if (strcmp(cmd, "load") == 0)
        cw_load(&o);
    else if (strcmp(cmd, "idle") == 0)
        cw_idle(&o);
    else if (strcmp(cmd, "startup") == 0)
        cw_startup(&o);
    else {
        cw_usage(stderr);
        return 2;
    }
    return 0;
}
