/* The msgpack-RPC client of crosswalkd shared by the tools (the
 * `crosswalk` CLI and crosswalk-bench): connecting to an address, packing
 * request envelopes, a blocking request/answer client that can also wait
 * a while for the notifications a server pushes unasked ([2, method,
 * params], as the status feed does), and a scanner that finds where each
 * answer ends in a byte stream without unpacking it.
 *
 * The protocol is server/PROTOCOL.md: a request is [0, msgid, method,
 * params] where params is [] or [{named arguments}], an answer is [1,
 * msgid, error, result] with error nil or [code, message]; the numbers are
 * crosswalk/protocol.h's.  Nothing here knows the methods.
 *
 * Ownership: a cw_rpc is owned by whoever opened it and released with
 * cw_rpc_close; a msgpack_unpacked filled by cw_rpc_next belongs to the
 * caller (msgpack_unpacked_destroy); every char ** message is malloc'd and
 * freed by the caller. */
#ifndef CW_TOOLS_RPC_H
#define CW_TOOLS_RPC_H

#include <crosswalk/protocol.h>

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returned by the calls that talk to the server: the server answered with
 * an error, or the transport failed (connection, bytes, memory). */
#define CW_RPC_ESERVER (-1)
#define CW_RPC_ETRANSPORT (-2)
/* cw_rpc_next_wait: no whole message yet (the time ran out, or a signal
 * interrupted the wait); nothing is lost, call again. */
#define CW_RPC_EAGAIN (-3)

/* cw_rpc_dial flags. */
#define CW_DIAL_BARE 1    /* also accept HOST:PORT without tcp:// (as crosswalkd does) */
#define CW_DIAL_NODELAY 2 /* TCP_NODELAY: small requests leave at once */

/* cw_rpc_dial failures. */
#define CW_DIAL_ECONNECT (-1) /* the address is fine, nothing accepted the connection (errno) */
#define CW_DIAL_EADDR (-2)    /* malformed or unresolvable address, or no socket */

/* Connects to ADDR: `tcp://HOST:PORT` (HOST may be a bracketed IPv6
 * literal) or `unix:PATH`.  Returns the connected socket (close-on-exec,
 * blocking), or CW_DIAL_ECONNECT / CW_DIAL_EADDR with a message in err. */
int cw_rpc_dial(const char *addr, int flags, char *err, size_t errlen);

/* Writes all n bytes (retrying on EINTR, no SIGPIPE).  0, or -1 with errno. */
int cw_rpc_write_all(int fd, const void *p, size_t n);

/* Packs a request envelope [0, msgid, method, params] into pk with a params
 * array of nparams (0 or 1) elements; with 1 the caller packs the element. */
void cw_rpc_pack_envelope(msgpack_packer *pk, uint32_t msgid, const char *method, unsigned nparams);
/* Packs a request whose params are one map of nargs named arguments (the
 * caller packs the nargs key/value pairs, with crosswalk/mpack.h's
 * cw_mp_kv_str / cw_mp_kv_int as the server reads them); nargs 0 packs
 * no params: []. */
void cw_rpc_pack_request(msgpack_packer *pk, uint32_t msgid, const char *method, uint32_t nargs);

/* A blocking client: one connection, a request buffer, a streaming
 * unpacker for the answers. */
typedef struct cw_rpc {
    int fd;
    uint32_t next_id;
    msgpack_unpacker up;
    msgpack_sbuffer sb; /* the request being built */
    msgpack_packer pk;  /* packs into sb */
} cw_rpc;

/* Dials addr (cw_rpc_dial) and sets up c.  Returns 0, or a CW_DIAL_* code
 * with a message in err (c is then closed and needs no cw_rpc_close). */
int cw_rpc_open(cw_rpc *c, const char *addr, int flags, char *err, size_t errlen);
void cw_rpc_close(cw_rpc *c);

/* Starts a request in c's buffer, with the next msgid (returned): named
 * arguments (cw_rpc_begin; pack nargs pairs into c->pk next) or a params
 * array of nparams elements (cw_rpc_begin_params; pack them next). */
uint32_t cw_rpc_begin(cw_rpc *c, const char *method, uint32_t nargs);
uint32_t cw_rpc_begin_params(cw_rpc *c, const char *method, unsigned nparams);
/* Sends the request built in c's buffer followed by tail (tail_len bytes,
 * borrowed; NULL for none: params packed elsewhere).  0, or
 * CW_RPC_ETRANSPORT with *errmsg set. */
int cw_rpc_send(cw_rpc *c, const void *tail, size_t tail_len, char **errmsg);
/* Reads until one whole message has arrived and unpacks it into *u
 * (initialised here; the caller destroys it, also on failure).  0, or
 * CW_RPC_ETRANSPORT with *errmsg set (closed, not msgpack, no memory). */
int cw_rpc_next(cw_rpc *c, msgpack_unpacked *u, char **errmsg);
/* cw_rpc_next that waits at most timeout_ms for bytes (-1: no limit) and
 * gives up on a signal: CW_RPC_EAGAIN when no whole message came by then
 * (the bytes of a part already read are kept for the next call), so a
 * client that only listens can check its own flags between messages. */
int cw_rpc_next_wait(cw_rpc *c, msgpack_unpacked *u, int timeout_ms, char **errmsg);

/* A notification [2, method, params] the server sent unasked: method is
 * not NUL-terminated (method_len bytes) and, like params (the params
 * element as sent, NULL when missing), points into the message. */
typedef struct cw_rpc_note {
    const char *method;
    size_t method_len;
    const msgpack_object *params;
} cw_rpc_note;
/* Whether message o is a notification; when it is, *n describes it. */
bool cw_rpc_note_of(const msgpack_object *o, cw_rpc_note *n);
/* Reads messages until one is a notification (answers and anything else
 * in between are skipped: call this only while no request is waiting),
 * unpacked into *u (initialised here; the caller destroys it, also on
 * failure) and described by *n.  Waits as cw_rpc_next_wait does: 0,
 * CW_RPC_EAGAIN, or CW_RPC_ETRANSPORT with *errmsg set. */
int cw_rpc_next_note(cw_rpc *c, msgpack_unpacked *u, cw_rpc_note *n, int timeout_ms, char **errmsg);

/* The message of an answer's error element [code, message] (malloc'd), or
 * NULL when it has no such shape or memory runs out. */
char *cw_rpc_error_text(const msgpack_object *e);

/* ---- answers as bytes --------------------------------------------------
 * A load generator needs each answer's msgid and whether it is an error,
 * not its result: at hundreds of kilobytes per detailed answer, unpacking
 * cost the client more CPU than the server spent answering, on the same
 * two cores.  These walk the bytes instead. */

/* Where the scan of an incomplete message stopped: the start of the first
 * element not yet complete and how many elements were still due there.  A
 * 300 KB answer arrives in many reads; resuming keeps the client from
 * walking its start again after every read.  {0, 0}: a fresh message. */
typedef struct cw_rpc_scan {
    size_t off;
    uint64_t pending;
} cw_rpc_scan;

/* Byte length of the msgpack message at p[0..n): 0 while incomplete (st
 * remembers how far it got; pass it again with the same p and more bytes),
 * SIZE_MAX when malformed.  On a whole message st is reset. */
size_t cw_rpc_scan_next(const unsigned char *p, size_t n, cw_rpc_scan *st);
/* The same from the start, without resuming. */
size_t cw_rpc_msg_len(const unsigned char *p, size_t n);
/* Whether the whole message p[0..len) is a successful answer [1, msgid,
 * nil, ...], judged from its envelope alone; its msgid in *msgid.  false
 * for anything else (an error answer: unpack it to read the message).
 * Inline: the load generator asks it of every answer. */
static inline bool cw_rpc_answer_ok(const unsigned char *p, size_t len, uint64_t *msgid)
{
    /* fixarray of 4, positive fixint CW_MSG_RESPONSE, then the msgid as a
     * fixint or uint8..64, then nil for "no error". */
    if (len <= 3 || p[0] != 0x94 || p[1] != CW_MSG_RESPONSE)
        return false;
    unsigned b = p[2];
    size_t off = 3;
    size_t w = b <= 0x7f ? 0 : b == 0xcc ? 1 : b == 0xcd ? 2 : b == 0xce ? 4 : b == 0xcf ? 8 : 9;
    if (w == 9 || len <= off + w)
        return false;
    uint64_t mid = w ? 0 : b;
    for (size_t i = 0; i < w; i++)
        mid = mid << 8 | p[off + i];
    off += w;
    if (p[off] != 0xc0)
        return false;
    *msgid = mid;
    return true;
}

#endif
