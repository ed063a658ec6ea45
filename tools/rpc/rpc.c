/* The tools' msgpack-RPC client (rpc.h): addresses and sockets, request
 * envelopes, a blocking client over msgpack-c's streaming unpacker (with
 * waits that a time limit or a signal can end, for reading notifications),
 * and the byte scanner crosswalk-bench's load generator reads answers with.
 * Sockets are plain POSIX; the CLI adds JSON on top (tools/cli/json_rpc.c),
 * the bench drives many of these connections with poll(). */
#include "rpc.h"

#include "crosswalk/mpack.h"

#include <crosswalk/protocol.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Read in chunks of this size; the unpacker grows its buffer as needed. */
#define CW_RPC_READ_CHUNK (64u * 1024u)

static int dial_unix(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "unix socket path too long: %s", path);
        return CW_DIAL_EADDR;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return CW_DIAL_EADDR;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot connect to unix:%s: %s", path, strerror(e));
        close(fd);
        errno = e;
        return CW_DIAL_ECONNECT;
    }
    return fd;
}

/* addr is the whole address as given, hostport its HOST:PORT part. */
static int dial_tcp(const char *addr, const char *hostport, int flags, char *err, size_t errlen)
{
    /* HOST:PORT, HOST may be a bracketed IPv6 literal. */
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport || !colon[1]) {
        snprintf(err, errlen, "server address must be tcp://HOST:PORT: %s", addr);
        return CW_DIAL_EADDR;
    }
    size_t hl = (size_t)(colon - hostport);
    if (hostport[0] == '[' && hl >= 2 && hostport[hl - 1] == ']') {
        hostport++;
        hl -= 2;
    }
    if (hl >= sizeof host) {
        snprintf(err, errlen, "host name too long");
        return CW_DIAL_EADDR;
    }
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return CW_DIAL_EADDR;
    }
    int fd = -1, last = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        last = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "cannot connect to tcp://%s:%s: %s", host, colon + 1, strerror(last));
        errno = last;
        return CW_DIAL_ECONNECT;
    }
    if (flags & CW_DIAL_NODELAY) {
        /* Nagle would hold a small request back waiting for the previous
         * one's ACK: ~40 ms stalls in a closed loop, measuring the kernel
         * instead of the server. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

int cw_rpc_dial(const char *addr, int flags, char *err, size_t errlen)
{
    if (strncmp(addr, "unix:", 5) == 0)
        return dial_unix(addr + 5, err, errlen);
    if (strncmp(addr, "tcp://", 6) == 0)
        return dial_tcp(addr, addr + 6, flags, err, errlen);
    if (flags & CW_DIAL_BARE)
        return dial_tcp(addr, addr, flags, err, errlen);
    snprintf(err, errlen, "server address must be tcp://HOST:PORT or unix:PATH: %s", addr);
    return CW_DIAL_EADDR;
}

int cw_rpc_write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- packing ---- */

void cw_rpc_pack_envelope(msgpack_packer *pk, uint32_t msgid, const char *method, unsigned nparams)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_int(pk, CW_MSG_REQUEST);
    msgpack_pack_uint32(pk, msgid);
    cw_mp_str(pk, method);
    msgpack_pack_array(pk, nparams);
}

void cw_rpc_pack_request(msgpack_packer *pk, uint32_t msgid, const char *method, uint32_t nargs)
{
    cw_rpc_pack_envelope(pk, msgid, method, nargs ? 1 : 0);
    if (nargs)
        msgpack_pack_map(pk, nargs);
}

/* ---- the blocking client ---- */

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

static char *dupf(const char *fmt, const char *a)
{
    char buf[512];
    snprintf(buf, sizeof buf, fmt, a);
    return dupstr(buf);
}

int cw_rpc_open(cw_rpc *c, const char *addr, int flags, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->next_id = 1;
    int fd = cw_rpc_dial(addr, flags, err, errlen);
    if (fd < 0)
        return fd;
    if (!msgpack_unpacker_init(&c->up, CW_RPC_READ_CHUNK)) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return CW_DIAL_EADDR;
    }
    msgpack_sbuffer_init(&c->sb);
    msgpack_packer_init(&c->pk, &c->sb, msgpack_sbuffer_write);
    c->fd = fd;
    return 0;
}

void cw_rpc_close(cw_rpc *c)
{
    if (c->fd < 0)
        return;
    close(c->fd);
    msgpack_unpacker_destroy(&c->up);
    msgpack_sbuffer_destroy(&c->sb);
    c->fd = -1;
}

uint32_t cw_rpc_begin(cw_rpc *c, const char *method, uint32_t nargs)
{
    msgpack_sbuffer_clear(&c->sb);
    uint32_t id = c->next_id++;
    cw_rpc_pack_request(&c->pk, id, method, nargs);
    return id;
}

uint32_t cw_rpc_begin_params(cw_rpc *c, const char *method, unsigned nparams)
{
    msgpack_sbuffer_clear(&c->sb);
    uint32_t id = c->next_id++;
    cw_rpc_pack_envelope(&c->pk, id, method, nparams);
    return id;
}

int cw_rpc_send(cw_rpc *c, const void *tail, size_t tail_len, char **errmsg)
{
    *errmsg = NULL;
    /* Pre-packed params go out as they are, after the envelope. */
    if (cw_rpc_write_all(c->fd, c->sb.data, c->sb.size) == 0 &&
        (!tail || cw_rpc_write_all(c->fd, tail, tail_len) == 0))
        return 0;
    *errmsg = dupf("connection lost while sending: %s", strerror(errno));
    return CW_RPC_ETRANSPORT;
}

/* The reading loop of cw_rpc_next and cw_rpc_next_wait: timeout_ms < 0
 * waits as long as it takes and reads on after a signal; otherwise a
 * wait that passes timeout_ms, or a signal, ends it with CW_RPC_EAGAIN.
 * The unpacker keeps what was read either way. */
static int next_message(cw_rpc *c, msgpack_unpacked *u, int timeout_ms, char **errmsg)
{
    *errmsg = NULL;
    msgpack_unpacked_init(u);
    for (;;) {
        msgpack_unpack_return ur = msgpack_unpacker_next(&c->up, u);
        if (ur == MSGPACK_UNPACK_SUCCESS)
            return 0;
        if (ur == MSGPACK_UNPACK_PARSE_ERROR || ur == MSGPACK_UNPACK_NOMEM_ERROR) {
            *errmsg = dupstr("the server sent bytes that are not msgpack");
            return CW_RPC_ETRANSPORT;
        }
        if (timeout_ms >= 0) {
            /* poll first: recv on a blocking socket would wait past the
             * limit, and after a signal with SA_RESTART it would not even
             * return. */
            struct pollfd pfd = {c->fd, POLLIN, 0};
            int pr = poll(&pfd, 1, timeout_ms);
            if (pr == 0 || (pr < 0 && errno == EINTR))
                return CW_RPC_EAGAIN;
            if (pr < 0) {
                *errmsg = dupf("connection lost: %s", strerror(errno));
                return CW_RPC_ETRANSPORT;
            }
        }
        if (!msgpack_unpacker_reserve_buffer(&c->up, CW_RPC_READ_CHUNK)) {
            *errmsg = dupstr("out of memory reading the answer");
            return CW_RPC_ETRANSPORT;
        }
        ssize_t n;
        do
            n = recv(c->fd, msgpack_unpacker_buffer(&c->up),
                     msgpack_unpacker_buffer_capacity(&c->up), 0);
        while (n < 0 && errno == EINTR && timeout_ms < 0);
        if (n < 0 && errno == EINTR)
            return CW_RPC_EAGAIN;
        if (n <= 0) {
            *errmsg = n == 0 ? dupstr("the server closed the connection")
                             : dupf("connection lost: %s", strerror(errno));
            return CW_RPC_ETRANSPORT;
        }
        msgpack_unpacker_buffer_consumed(&c->up, (size_t)n);
    }
}

int cw_rpc_next(cw_rpc *c, msgpack_unpacked *u, char **errmsg)
{
    return next_message(c, u, -1, errmsg);
}

int cw_rpc_next_wait(cw_rpc *c, msgpack_unpacked *u, int timeout_ms, char **errmsg)
{
    /* A negative limit here still means "give up on a signal". */
    return next_message(c, u, timeout_ms < 0 ? INT_MAX : timeout_ms, errmsg);
}

bool cw_rpc_note_of(const msgpack_object *o, cw_rpc_note *n)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 2 ||
        o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        o->via.array.ptr[0].via.u64 != CW_MSG_NOTIFY ||
        o->via.array.ptr[1].type != MSGPACK_OBJECT_STR)
        return false;
    n->method = o->via.array.ptr[1].via.str.ptr;
    n->method_len = o->via.array.ptr[1].via.str.size;
    n->params = o->via.array.size > 2 ? &o->via.array.ptr[2] : NULL;
    return true;
}

int cw_rpc_next_note(cw_rpc *c, msgpack_unpacked *u, cw_rpc_note *n, int timeout_ms, char **errmsg)
{
    for (;;) {
        int rc = cw_rpc_next_wait(c, u, timeout_ms, errmsg);
        if (rc || cw_rpc_note_of(&u->data, n))
            return rc;
        msgpack_unpacked_destroy(u);
    }
}

char *cw_rpc_error_text(const msgpack_object *e)
{
    if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size < 2 ||
        e->via.array.ptr[1].type != MSGPACK_OBJECT_STR)
        return NULL;
    const msgpack_object *m = &e->via.array.ptr[1];
    char *s = malloc(m->via.str.size + 1);
    if (s) {
        memcpy(s, m->via.str.ptr, m->via.str.size);
        s[m->via.str.size] = '\0';
    }
    return s;
}

/* ---- answers as bytes ---- */

static uint64_t be(const unsigned char *p, size_t w)
{
    uint64_t v = 0;
    for (size_t i = 0; i < w; i++)
        v = v << 8 | p[i];
    return v;
}

/* Sixteen values from a in steps of d: the fix-sized elements' sizes and
 * counts grow by one step a byte value. */
#define MP_RUN16(a, d)                                                                             \
    (a), (a) + (d), (a) + 2 * (d), (a) + 3 * (d), (a) + 4 * (d), (a) + 5 * (d), (a) + 6 * (d),     \
        (a) + 7 * (d), (a) + 8 * (d), (a) + 9 * (d), (a) + 10 * (d), (a) + 11 * (d),               \
        (a) + 12 * (d), (a) + 13 * (d), (a) + 14 * (d), (a) + 15 * (d)

/* For each first byte of a msgpack element: its whole size when that
 * follows from the byte alone (0: read further), and how many elements it
 * opens (fixmap, fixarray). Most of an answer is such elements, so the
 * scanner's common case is two table loads and no unpredictable branch. */
static const unsigned char mp_size[256] = {
    [0x00 ... 0x7f] = 1, /* positive fixint */
    [0x80 ... 0x9f] = 1, /* fixmap, fixarray: the byte itself; mp_opens counts the rest */
    /* fixstr: the byte and 0..31 bytes */
    [0xa0] = MP_RUN16(1, 1),
    MP_RUN16(17, 1),
    [0xc0] = 1,
    [0xc2] = 1,
    [0xc3] = 1, /* nil, false, true */
    [0xca] = 5,
    [0xcb] = 9, /* float 32, 64 */
    [0xcc] = 2,
    [0xcd] = 3,
    [0xce] = 5,
    [0xcf] = 9, /* uint 8..64 */
    [0xd0] = 2,
    [0xd1] = 3,
    [0xd2] = 5,
    [0xd3] = 9, /* int 8..64 */
    [0xd4] = 3,
    [0xd5] = 4,
    [0xd6] = 6,
    [0xd7] = 10,
    [0xd8] = 18,         /* fixext 1..16 */
    [0xe0 ... 0xff] = 1, /* negative fixint */
};
static const unsigned char mp_opens[256] = {
    /* fixmap: two elements a pair */
    [0x80] = MP_RUN16(0, 2),
    /* fixarray */
    [0x90] = MP_RUN16(0, 1),
};

/* The elements whose size the element itself gives: lenw, the bytes of
 * the length of a bin, str or ext (ext adds its type byte); countw, the
 * bytes of the count of a 16/32-bit array or map (a map counts pairs).
 * Zero in both for bytes the tables above cover, and for 0xc1. */
static const struct mp_var {
    unsigned char lenw, ext, countw, pairs;
} mp_var[256] = {
    [0xc4] = {.lenw = 1},
    [0xc5] = {.lenw = 2},
    [0xc6] = {.lenw = 4}, /* bin 8..32 */
    [0xc7] = {.lenw = 1, .ext = 1},
    [0xc8] = {.lenw = 2, .ext = 1},
    [0xc9] = {.lenw = 4, .ext = 1}, /* ext 8..32 */
    [0xd9] = {.lenw = 1},
    [0xda] = {.lenw = 2},
    [0xdb] = {.lenw = 4}, /* str 8..32 */
    [0xdc] = {.countw = 2},
    [0xdd] = {.countw = 4}, /* array 16, 32 */
    [0xde] = {.countw = 2, .pairs = 1},
    [0xdf] = {.countw = 4, .pairs = 1}, /* map 16, 32 */
};

size_t cw_rpc_scan_next(const unsigned char *p, size_t n, cw_rpc_scan *st)
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
        size_t whole = mp_size[b];
        if (whole) {
            if (n - off < whole)
                goto partial;
            off += whole;
            pending += mp_opens[b];
            pending--;
            continue;
        }
        /* Sizes read from the element itself: bin, str8-32, ext, the
         * 16/32-bit arrays and maps (everything else is in the table). */
        off++;
        pending--;
        const struct mp_var *v = &mp_var[b];
        if (!v->lenw && !v->countw)
            return SIZE_MAX; /* 0xc1, never used */
        if (v->countw) {
            if (n - off < v->countw)
                goto partial;
            pending += be(p + off, v->countw) << v->pairs;
            off += v->countw;
            continue;
        }
        if (n - off < v->lenw)
            goto partial;
        size_t fixed = (size_t)be(p + off, v->lenw) + v->ext;
        off += v->lenw;
        if (n - off < fixed)
            goto partial;
        off += fixed;
    }
    *st = (cw_rpc_scan){0, 0};
    return off;
partial:
    st->off = start;
    st->pending = pstart;
    return 0;
}

size_t cw_rpc_msg_len(const unsigned char *p, size_t n)
{
    cw_rpc_scan st = {0, 0};
    return cw_rpc_scan_next(p, n, &st);
}
