/* crosswalk-bench's shared parts (bench.h): small utilities, msgpack
 * reading helpers, connections and the blocking client over the tools'
 * msgpack-RPC client, the one-ping probe, the shipped catalogue as seen
 * through the protocol, and the latency histogram. */
#include "bench.h"

#include "crosswalk/mpack.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Small utilities                                                      */

void cw_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("crosswalk-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

void *cw_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        cw_die("out of memory");
    return p;
}

void *cw_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        cw_die("out of memory");
    return q;
}

char *cw_xstrndup(const char *s, size_t n)
{
    char *d = cw_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void cw_sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void cw_json_str(FILE *f, const char *before, const char *s)
{
    fputs(before, f);
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

FILE *cw_json_open(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f)
        cw_die("%s: %s", path, strerror(errno));
    return f;
}

void cw_json_close(FILE *f, const char *path)
{
    if (f != stdout && fclose(f) != 0)
        cw_die("%s: %s", path, strerror(errno));
}

/* Removes a directory tree (the baseline environment, startup's data). */
static int cw_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

void cw_rmtree(const char *dir)
{
    if (nftw(dir, cw_rm_cb, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        fprintf(stderr, "crosswalk-bench: could not remove %s: %s\n", dir, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* msgpack reading helpers                                              */

bool cw_obj_is_str(const msgpack_object *o)
{
    return o && (o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN);
}

char *cw_obj_strdup(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_STR)
        return cw_xstrndup(o->via.str.ptr, o->via.str.size);
    if (o->type == MSGPACK_OBJECT_BIN)
        return cw_xstrndup(o->via.bin.ptr, o->via.bin.size);
    return cw_xstrndup("", 0);
}

const msgpack_object *cw_map_get(const msgpack_object *m, const char *key)
{
    return cw_mp_get(m, key);
}

/* ------------------------------------------------------------------ */
/* Connections: the tools' RPC client (tools/rpc/) with fatal failures  */

int cw_connect_try(const char *addr)
{
    char err[512];
    int fd = cw_rpc_dial(addr, CW_DIAL_BARE | CW_DIAL_NODELAY, err, sizeof err);
    if (fd == CW_DIAL_EADDR)
        cw_die("%s", err);
    return fd < 0 ? -1 : fd;
}

int cw_connect(const char *addr)
{
    int fd = cw_connect_try(addr);
    if (fd < 0)
        cw_die("connect %s: %s", addr, strerror(errno));
    return fd;
}

void cw_client_open(cw_rpc *c, const char *addr)
{
    char err[512];
    int rc = cw_rpc_open(c, addr, CW_DIAL_BARE | CW_DIAL_NODELAY, err, sizeof err);
    if (rc == CW_DIAL_ECONNECT)
        cw_die("connect %s: %s", addr, strerror(errno));
    if (rc)
        cw_die("%s", err);
}

void cw_write_all(int fd, const void *p, size_t n)
{
    if (cw_rpc_write_all(fd, p, n))
        cw_die("send: %s", strerror(errno));
}

const msgpack_object *cw_recv(cw_rpc *c, const char *what, msgpack_unpacked *out, uint64_t *msgid)
{
    char *why;
    if (cw_rpc_next(c, out, &why))
        cw_die("%s: %s", what, why ? why : "out of memory");
    const msgpack_object *o = &out->data;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4)
        cw_die("%s: malformed response", what);
    const msgpack_object *err = &o->via.array.ptr[2];
    if (err->type != MSGPACK_OBJECT_NIL) {
        char *msg = cw_rpc_error_text(err);
        cw_die("%s: server error: %s", what, msg ? msg : "?");
    }
    if (msgid)
        *msgid = o->via.array.ptr[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER
                     ? o->via.array.ptr[1].via.u64
                     : 0;
    return &o->via.array.ptr[3];
}

const msgpack_object *cw_call(cw_rpc *c, const char *what, msgpack_unpacked *out)
{
    cw_write_all(c->fd, c->sb.data, c->sb.size);
    return cw_recv(c, what, out, NULL);
}

int cw_ping_fd(int fd, uint32_t msgid, const char **why)
{
    unsigned char in[256];
    size_t got = 0, ml = 0;
    msgpack_sbuffer req;
    msgpack_sbuffer_init(&req);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &req, msgpack_sbuffer_write);
    cw_rpc_pack_request(&pk, msgid, "ping", 0);
    int sent = cw_rpc_write_all(fd, req.data, req.size);
    msgpack_sbuffer_destroy(&req);
    if (sent) {
        *why = "send failed";
        return -1;
    }
    while ((ml = cw_rpc_msg_len(in, got)) == 0) {
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
            o->via.array.ptr[1].via.u64 == msgid &&
            o->via.array.ptr[2].type == MSGPACK_OBJECT_NIL && cw_obj_is_str(&o->via.array.ptr[3]))
            rc = 0;
    }
    msgpack_unpacked_destroy(&u);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The shipped catalogue as seen through the protocol                   */

void cw_reqs_push(cw_reqs *r, const char *fw, char *id)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->v = cw_xrealloc(r->v, r->cap * sizeof *r->v);
    }
    r->v[r->n].fw = cw_xstrndup(fw, strlen(fw));
    r->v[r->n].id = id;
    r->n++;
}

void cw_reqs_free(cw_reqs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].fw);
        free(r->v[i].id);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

void cw_strs_free(cw_strs *s)
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

cw_strs cw_fetch_frameworks(cw_rpc *c)
{
    msgpack_unpacked u;
    cw_rpc_begin(c, "framework.list", 0);
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

void cw_fetch_requirements(cw_rpc *c, const char *fw, bool leaves_only, cw_reqs *out)
{
    msgpack_unpacked u;
    cw_rpc_begin(c, "requirement.list", leaves_only ? 2 : 1);
    cw_mp_kv_str(&c->pk, "framework", fw);
    if (leaves_only) {
        cw_mp_str(&c->pk, "leaves_only");
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
/* Latency histogram                                                    */

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

void cw_h_add(cw_hist *h, uint64_t v)
{
    h->b[cw_h_index(v)]++;
    h->count++;
    if (v > h->max)
        h->max = v;
}

double cw_h_quantile_us(const cw_hist *h, double q)
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
